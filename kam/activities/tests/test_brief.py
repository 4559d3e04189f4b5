"""The meeting brief: page and PDF, each permission-checked and audited."""

import re
import subprocess
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from kam.activities import services
from kam.core import briefs

from .helpers import plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def romashka(company):
    client = company.alice_client
    client.short_name = "Ромашка"
    client.legal_name = 'ООО "Ромашка"'
    client.save()
    return client


def brief_views(client):
    return LogEntry.objects.filter(object_pk=str(client.pk), additional_data__what="brief")


def test_the_brief_page_shows_the_meeting_and_the_people_present(company, login, romashka):
    ivan = romashka.stakeholders.get()
    activity = plan(company.alice, romashka, stakeholders=[ivan], goal="Agree the annual contract")
    past = plan(company.alice, romashka, start=activity.planned_start - timedelta(days=20))
    services.activity_complete(
        user=company.alice, activity=past, outcome="Tested the samples", next_step="Visit again"
    )
    response = login(company.alice).get(reverse("activities:brief", args=[activity.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Ромашка",
        "Ivan Petrov",
        "Agree the annual contract",
        "Tested the samples",
        "No key-account analysis has been run yet.",
        "Prefers morning meetings",
        "On time",
    ):
        assert text in body, text
    assert brief_views(romashka).filter(additional_data__door="page").count() == 1


def test_the_brief_hides_personal_notes_from_those_without_the_right(company, login, romashka, monkeypatch):
    from kam.access import policy

    activity = plan(company.alice, romashka, stakeholders=[romashka.stakeholders.get()])
    real = policy.can
    monkeypatch.setattr(
        policy, "can", lambda u, p, o=None: False if p == "clients.view_sensitive" else real(u, p, o)
    )
    body = login(company.alice).get(reverse("activities:brief", args=[activity.pk])).content.decode()
    assert "Ivan Petrov" in body and "Prefers morning meetings" not in body


def test_the_pdf_brief_has_the_clients_name_in_cyrillic(company, login, romashka, tmp_path):
    activity = plan(company.alice, romashka)
    response = login(company.alice).get(reverse("activities:brief_pdf", args=[activity.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Ромашка" in text and "SEVEN MISTAKES TO AVOID" in text.upper()
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.M), pages
    assert brief_views(romashka).filter(additional_data__door="pdf").count() == 1


def test_registered_sections_appear_between_competitors_and_claims(company, login, romashka):
    @briefs.register(10, "test_orders")
    def _orders(client, user):
        return {
            "template": "activities/_brief_section.html",
            "title": "Open orders",
            "lines": [f"3 open orders of {client.short_name}"],
        }

    try:
        activity = plan(company.alice, romashka)
        body = login(company.alice).get(reverse("activities:brief", args=[activity.pk])).content.decode()
    finally:
        briefs._BUILDERS[:] = [b for b in briefs._BUILDERS if b[1] != "test_orders"]
    assert "3 open orders of Ромашка" in body
    assert (
        body.index('id="brief-competitors"')
        < body.index('id="brief-test_orders"')
        < body.index('id="brief-claims"')
    )


def test_the_checklist_is_ticked_from_the_brief(company, login, romashka):
    activity = plan(company.alice, romashka)
    login(company.alice).post(
        reverse("activities:checklist", args=[activity.pk]), {"ticked": ["on_time", "manners"]}
    )
    activity.refresh_from_db()
    assert (
        activity.checklist["on_time"]
        and activity.checklist["manners"]
        and not activity.checklist["no_disputes"]
    )
    assert activity.sequence == 0  # not a calendar change


@pytest.mark.parametrize("persona", ["carol", "hugo", "bob", "sam", "fiona"])
def test_others_get_404_on_the_brief_page_and_pdf_and_nothing_is_logged(company, login, romashka, persona):
    activity = plan(company.alice, romashka)
    browser = login(getattr(company, persona))
    assert browser.get(reverse("activities:brief", args=[activity.pk])).status_code in (403, 404)
    assert browser.get(reverse("activities:brief_pdf", args=[activity.pk])).status_code in (403, 404)
    assert not brief_views(romashka).exists()


def test_a_participant_without_the_dossier_right_cannot_open_the_brief(company, login, romashka):
    activity = plan(company.alice, romashka, participants=[company.sam])
    browser = login(company.sam)
    assert browser.get(reverse("activities:detail", args=[activity.pk])).status_code == 200
    assert browser.get(reverse("activities:brief", args=[activity.pk])).status_code == 404


def test_parts_no_module_provides_yet_say_so(company, login, romashka, monkeypatch):
    monkeypatch.setattr(briefs, "_BUILDERS", [])
    activity = plan(company.alice, romashka)
    body = login(company.alice).get(reverse("activities:brief", args=[activity.pk])).content.decode()
    for title in ("Open orders", "Overdue debt", "Contract obligations due"):
        assert f"<h2>{title}</h2>" in body
    assert body.count("Not recorded in kam yet.") == 3


def test_the_brief_shows_keyness_from_the_latest_analysis(company, login, romashka):
    from .test_schedule import analysed

    analysed([(romashka, "A", True)])
    activity = plan(company.alice, romashka)
    body = login(company.alice).get(reverse("activities:brief", args=[activity.pk])).content.decode()
    assert "ABC A" in body and "visit every 14 days" in body and 'class="flag key"' in body
