"""In a real browser: the head opens account health, sorts by score, opens a client's Health tab."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from conftest import screenshot
from kam.activities.models import Activity
from kam.clients.models import Stakeholder
from kam.health import services
from kam.health.models import HealthSnapshot
from kam.health.selectors import add_months

from .helpers import key_snapshot, month_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_head_reads_the_health_list_and_a_clients_health_tab(live_company, page_as, live_server):
    c = live_company
    today = timezone.localdate()
    for back in range(1, 16):  # fifteen complete months of purchases for Romashka
        month_row(c.alice_client, add_months(today, -back), 100_000_00)
    Stakeholder.objects.filter(client=c.alice_client).update(last_contact_on=today)
    start = timezone.make_aware(datetime.combine(today - timedelta(days=3), datetime.min.time())) + timedelta(
        hours=10
    )
    Activity.objects.create(
        client=c.alice_client,
        owner=c.alice,
        kind="visit",
        status="done",
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )
    key_snapshot(c.alice_client, c.bob_client)
    services.compute_health(day=today - timedelta(days=7))
    Stakeholder.objects.filter(client=c.alice_client).update(last_contact_on=None)
    services.compute_health(day=today)  # the visit now counts; nobody is in touch with the decision maker
    assert HealthSnapshot.objects.filter(is_latest=True).count() == 2

    page = page_as(c.hannah)
    page.goto(f"{live_server.url}/account-health/")  # the nav may fold this link into its "more" menu
    page.wait_for_selector("#health-table")
    names = page.locator("#health-table tbody tr td:first-child a").all_inner_texts()
    assert names == ["Vasilek", "Romashka"]  # worst first
    page.click("#health-table thead >> text=Score")  # now best first
    page.wait_for_function("document.querySelector('#health-table tbody tr a').textContent === 'Romashka'")
    screenshot(page, "health-list-en")

    page.click("#health-table >> text=Romashka")
    page.wait_for_selector("#health-components")
    page.click("main >> text=Dossier")
    page.wait_for_selector("#health-card")
    assert page.inner_text("#health-score") == "85"
    assert page.locator("#health-components tr[data-part=coverage] .lvl.risk").count() == 1
    assert page.locator("#health-sparkline circle").count() == 2
    screenshot(page, "health-tab-en")
