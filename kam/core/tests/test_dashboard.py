"""The Today page per role: what needs action, in a bounded number of queries, with empty states in words."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.core import dashboard

from . import dash_data

pytestmark = pytest.mark.django_db

MAX_QUERIES = 60
# The widgets these tests are about; apps added later test their own widgets.
KNOWN = (
    "kam.core",
    "kam.activities",
    "kam.analytics",
    "kam.planning",
    "kam.orders",
    "kam.receivables",
    "kam.contracts",
)


@pytest.fixture(autouse=True)
def _known_widgets(request, monkeypatch):
    if request.node.get_closest_marker("all_widgets"):
        return
    known = [b for b in dashboard._REGISTRY if b.__module__.startswith(KNOWN)]
    monkeypatch.setattr(dashboard, "_REGISTRY", known)


def home(login, user) -> str:
    response = login(user).get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "could not be shown" not in body, "a dashboard widget failed"
    return body


def test_the_kams_today_meetings_debts_obligations_orders_and_pace(company, login):
    dash_data.everything(company)
    body = home(login, company.alice)
    assert 'id="today-activities"' in body and "Romashka HQ" in body
    assert 'id="overdue-debt"' in body and "Overdue debt of my clients" in body
    assert "Send the price list" in body and "Deliver samples" in body  # overdue and due this week
    assert 'id="orders-widget"' in body and "returned by the head" in body
    assert 'id="plan-widget"' in body and "of the month has gone" in body
    # Only own clients' debt; nothing of the director's widgets.
    assert "Lyutik" not in body
    assert 'id="concentration-widget"' not in body and 'id="aging-widget"' not in body
    # What needs action comes first: the schedule before the plan.
    assert body.index('id="today-activities"') < body.index('id="plan-widget"')


def test_the_heads_today_approvals_dependence_team_and_punctuality(company, login):
    dash_data.everything(company)
    body = home(login, company.hannah)
    assert "No order is waiting for your approval." in body  # an empty state in words
    assert 'id="dependence-alerts"' in body
    assert 'id="plan-widget"' in body and "Alice Test" in body and "Bob Test" in body  # the team
    assert "Carol Test" not in body  # another department
    assert 'id="punctuality-widget"' in body and "1 late start of 1" in body
    assert body.index("Bob Test", body.index('id="punctuality-widget"')) > 0
    assert body.index('id="orders-widget"') < body.index('id="plan-widget"')


def test_the_directors_today_concentration_movement_plan_receivables(company, login):
    dash_data.everything(company)
    body = home(login, company.diana)
    assert 'id="concentration-widget"' in body and "HHI" in body
    assert 'id="movement-widget"' in body and "Lyutik" in body and "critical dependence" in body
    assert 'id="plan-widget"' in body and "Sales North" in body and "Sales South" in body
    assert 'id="aging-widget"' in body and "Receivables by age" in body
    ids = ("concentration-widget", "movement-widget", "plan-widget", "aging-widget")
    order = [body.index(f'id="{w}"') for w in ids]
    assert order == sorted(order)


def test_finance_and_sales_support_see_what_they_act_on(company, login):
    dash_data.invoices(company)
    body = home(login, company.fiona)
    assert 'id="overdue-debt"' in body and 'id="aging-widget"' in body and "Lyutik" in body
    assert 'id="plan-widget"' not in body and 'id="orders-widget"' not in body
    body = home(login, company.sam)
    assert "The queue is empty" in body
    assert 'id="overdue-debt"' not in body


def test_empty_states_are_words_not_blank_cards(company, login):
    body = home(login, company.diana)
    assert "No analysis has been run yet" in body
    assert "No open invoices" in body
    body = home(login, company.alice)
    assert "Nothing planned for today." in body
    assert "No draft, no order waiting for approval" in body
    assert "No obligation overdue or due this week" in body


def test_someone_without_a_role_sees_no_widgets(company, login):
    body = home(login, company.adam)
    assert "no business role" in body and 'class="dash"' not in body


@pytest.mark.parametrize("who", ["alice", "hannah", "diana", "fiona", "sam"])
def test_the_today_page_answers_in_bounded_queries(company, login, who, django_assert_max_num_queries):
    dash_data.everything(company)
    http = login(getattr(company, who))
    http.get(reverse("home"))  # warm caches (content types, config)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert http.get(reverse("home")).status_code == 200


@pytest.mark.all_widgets
@pytest.mark.parametrize("who", ["alice", "hannah", "diana"])
def test_more_data_does_not_mean_more_queries(company, login, who):
    """The widgets read only the columns their cards show: a field the card shows but the query left
    out would cost a query per row, and the count would grow with the rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    dash_data.everything(company)
    warnings_and_plans(company, year=2025)
    http = login(getattr(company, who))
    http.get(reverse("home"))
    with CaptureQueriesContext(connection) as before:
        body = http.get(reverse("home")).content.decode()
    assert 'id="health-widget"' in body and "Romashka" in body
    dash_data.invoices(company)
    dash_data.orders(company)
    dash_data.obligations(company, number="D-78")
    for year in (2023, 2024):
        warnings_and_plans(company, year=year)
    with CaptureQueriesContext(connection) as after:
        body = http.get(reverse("home")).content.decode()
    assert len(after) == len(before)
    assert "could not be shown" not in body
    # Plans waiting for the head's (and the director's) review; those returned to the KAM.
    assert 'id="accountplans-widget"' in body
    assert ("Romashka 2034" if who == "alice" else "Romashka 2024") in body


def warnings_and_plans(company, *, year: int) -> None:
    """Health warnings on two clients, a plan for `year` submitted for review, one for `year` + 10
    returned to the KAM."""
    from datetime import timedelta

    from django.utils import timezone

    from kam.accountplans.models import AccountPlan, PlanStatus
    from kam.health.models import HealthAlert

    day = timezone.localdate() - timedelta(days=2025 - year)
    for client in (company.alice_client, company.bob_client):
        HealthAlert.objects.create(client=client, day=day, kind="drop", score=40, previous_score=80)
    AccountPlan.objects.create(
        client=company.alice_client,
        year=year,
        owner=company.alice,
        status=PlanStatus.SUBMITTED,
        submitted_at=timezone.now(),
        created_by=company.alice,
    )
    AccountPlan.objects.create(
        client=company.alice_client,
        year=year + 10,
        owner=company.alice,
        status=PlanStatus.RETURNED,
        review_comment="Add the decision makers",
        created_by=company.alice,
    )


def test_a_failing_widget_does_not_take_the_page_down(company, login, monkeypatch):
    def broken(request, user):
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboard, "_REGISTRY", [*dashboard._REGISTRY, broken])
    response = login(company.alice).get(reverse("home"))
    assert response.status_code == 200 and b"could not be shown" in response.content


def test_widgets_of_later_apps_slot_in_after_the_known_ones(company, rf):
    def later(request, user):
        return {"template": "core/widgets/failed.html", "mark": "later"}

    def first(request, user):
        return {"template": "core/widgets/failed.html", "mark": "first", "order": 1}

    saved = list(dashboard._REGISTRY)
    try:
        dashboard._REGISTRY[:] = [later, *saved, first]
        request = rf.get("/")
        request.user = company.alice
        widgets = dashboard.widgets_for(request, company.alice)
        assert widgets[0]["mark"] == "first" and widgets[-1]["mark"] == "later"
    finally:
        dashboard._REGISTRY[:] = saved
