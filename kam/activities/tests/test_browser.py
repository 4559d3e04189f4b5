"""In a real browser: plan a visit, open its brief, record a late start, find it in the punctuality report."""

import os
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import ARTIFACTS, screenshot
from kam.activities.models import Activity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FMT = "%Y-%m-%dT%H:%M"


def test_a_kam_plans_a_visit_opens_the_brief_starts_late_and_sees_it_in_the_report(
    live_company, page_as, live_server
):
    client = live_company.alice_client
    client.short_name = "Ромашка"
    client.save()
    start = timezone.localtime().replace(second=0, microsecond=0) - timedelta(hours=1)
    page = page_as(live_company.alice)

    page.click("nav.mainnav >> text=Schedule")
    page.wait_for_selector("#week")
    # Planned from the client's dossier, so the client's people can be chosen at once.
    page.goto(f"{live_server.url}/clients/{client.pk}/activities/")
    page.click("#tab-body >> text=Plan a visit")
    page.wait_for_selector("#activity-form")
    assert page.input_value("#activity-form select[name=kind]") == "visit"
    page.select_option("#activity-form select[name=stakeholders]", label="Ivan Petrov")
    page.fill("#activity-form input[name=planned_start]", start.strftime(FMT))
    page.fill("#activity-form input[name=planned_end]", (start + timedelta(hours=1)).strftime(FMT))
    page.fill("#activity-form input[name=place]", "Склад на Ленина, 1")
    page.fill("#activity-form textarea[name=goal]", "Agree the spring volumes")
    page.click("#activity-form button[type=submit]")
    page.wait_for_selector("#punctuality")
    activity = Activity.objects.get()
    assert activity.client == client and activity.planned_start == start

    page.goto(f"{live_server.url}/schedule/?d={start.date().isoformat()}")
    page.wait_for_selector("#week >> text=Ромашка")
    screenshot(page, "schedule-week-en")

    page.goto(f"{live_server.url}/schedule/{activity.pk}/")
    page.click("text=Meeting brief")
    page.wait_for_selector("#brief")
    assert "Ромашка" in page.inner_text("#brief") and "Ivan Petrov" in page.inner_text("#brief")
    page.check("input[value=information_collected]")
    page.check("input[value=prepared_offers]")
    page.click("#brief-checklist button[type=submit]")
    page.wait_for_selector("#brief")
    screenshot(page, "meeting-brief-en")
    response = page.request.get(f"{live_server.url}/schedule/{activity.pk}/brief.pdf")
    assert response.status == 200
    os.makedirs(ARTIFACTS, exist_ok=True)
    pdf = os.path.join(ARTIFACTS, "meeting-brief.pdf")
    with open(pdf, "wb") as out:
        out.write(response.body())
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", pdf, pdf[:-4]], check=True)
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert "Ромашка" in text

    page.goto(f"{live_server.url}/schedule/{activity.pk}/")
    late = start + timedelta(minutes=20)
    page.fill("#actual-start-form input[name=actual_start]", late.strftime(FMT))
    page.click("#actual-start-form button[type=submit]")
    page.wait_for_selector("#actual-start .late-flag")
    assert "late by 20 minutes" in page.inner_text("#actual-start")

    page.click("text=Punctuality")
    page.goto(
        f"{live_server.url}/schedule/punctuality/?from={start.date().isoformat()}&to={start.date().isoformat()}"
    )
    row = page.locator("#punctuality-table tr[data-kam=alice]")
    assert row.locator("td").nth(2).inner_text().strip() == "1"
    assert "Ромашка (+20)" in row.inner_text()
    screenshot(page, "punctuality-en")
    activity.refresh_from_db()
    assert activity.is_late and activity.checklist["prepared_offers"] and not activity.checklist["on_time"]


def test_another_kam_is_refused_the_schedule_and_the_brief(live_company, page_as, live_server):
    activity = Activity.objects.create(
        kind="visit",
        client=live_company.alice_client,
        owner=live_company.alice,
        planned_start=timezone.now() + timedelta(days=1),
        planned_end=timezone.now() + timedelta(days=1, hours=1),
    )
    page = page_as(live_company.carol)
    for path in (
        f"/schedule/?kam={live_company.alice.pk}",
        f"/schedule/{activity.pk}/brief/",
        f"/schedule/{activity.pk}/brief.pdf",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 404, path
    response = page.request.post(f"{live_server.url}/schedule/{activity.pk}/start/")
    assert response.status in (403, 404)
    activity.refresh_from_db()
    assert activity.actual_start is None and activity.sequence == 0
