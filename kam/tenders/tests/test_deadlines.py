"""Deadline boundaries across time zones: the day a deadline falls on is the viewing user's day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.tenders import selectors
from kam.tenders.forms import TenderForm
from kam.tenders.models import Tender

from .helpers import MSK, tender

pytestmark = pytest.mark.django_db
YEKB = ZoneInfo("Asia/Yekaterinburg")  # UTC+5, two hours ahead of Moscow
LATE = datetime(2026, 12, 1, 23, 30, tzinfo=MSK)  # = 2 December 01:30 in Yekaterinburg


def test_a_late_moscow_deadline_is_due_today_in_moscow_and_tomorrow_in_yekaterinburg(company):
    t = tender(company.alice, company.alice_client, deadline=LATE)
    assert list(selectors.due_on(company.alice, date(2026, 12, 1), MSK)) == [t]
    assert list(selectors.due_on(company.alice, date(2026, 12, 2), MSK)) == []
    assert list(selectors.due_on(company.alice, date(2026, 12, 1), YEKB)) == []
    assert list(selectors.due_on(company.alice, date(2026, 12, 2), YEKB)) == [t]


def test_day_bounds_are_half_open_in_the_users_zone(company):
    start = tender(company.alice, company.alice_client, deadline=datetime(2026, 12, 2, 0, 0, tzinfo=MSK))
    tender(company.alice, company.alice_client, deadline=datetime(2026, 12, 1, 23, 59, 59, tzinfo=MSK))
    assert list(selectors.due_on(company.alice, date(2026, 12, 2), MSK)) == [start]


def test_the_next_seven_days_end_at_midnight_of_the_users_seventh_day(company):
    now = datetime(2026, 12, 1, 10, 0, tzinfo=MSK)
    passed = tender(company.alice, company.alice_client, deadline=datetime(2026, 12, 1, 9, 59, tzinfo=MSK))
    last = tender(company.alice, company.alice_client, deadline=datetime(2026, 12, 8, 23, 59, tzinfo=MSK))
    beyond = tender(company.alice, company.alice_client, deadline=datetime(2026, 12, 9, 0, 0, tzinfo=MSK))
    soon = list(selectors.deadlines_soon(company.alice, now=now, zone=MSK))
    assert last in soon and beyond not in soon and passed not in soon
    # In Yekaterinburg the 8th ends two hours earlier (22:00 Moscow): the 23:59 deadline is on the 9th there
    assert last not in selectors.deadlines_soon(company.alice, now=now, zone=YEKB)


def test_a_deadline_is_typed_in_the_tenders_zone_whatever_the_users_zone(company):
    data = {
        "client": company.alice_client.pk,
        "platform": "44fz",
        "title": "Syringes",
        "deadline": "2026-12-01T12:00",
        "time_zone": "Europe/Moscow",
        "kam": company.alice.pk,
    }
    with timezone.override(YEKB):
        form = TenderForm(data, user=company.alice)
        assert form.is_valid(), form.errors
    assert form.cleaned_data["deadline"] == datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("UTC"))
    data["time_zone"] = "Asia/Vladivostok"
    form = TenderForm(data, user=company.alice)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["deadline"] == datetime(2026, 12, 1, 2, 0, tzinfo=ZoneInfo("UTC"))


def test_editing_shows_the_deadline_in_the_tenders_zone(company):
    t = tender(company.alice, company.alice_client, deadline=LATE)
    with timezone.override(YEKB):
        html = str(TenderForm(user=company.alice, tender=t)["deadline"])
    assert 'value="2026-12-01T23:30"' in html


def test_the_calendar_puts_the_deadline_on_the_users_own_day(company, login):
    t = tender(company.alice, company.alice_client, deadline=LATE)
    company.alice.time_zone = "Asia/Yekaterinburg"
    company.alice.save()
    html = login(company.alice).get(reverse("tenders:calendar") + "?month=2026-12").content.decode()
    cell_2 = html.split('data-day="2026-12-02"')[1].split("</td>")[0]
    cell_1 = html.split('data-day="2026-12-01"')[1].split("</td>")[0]
    assert reverse("tenders:detail", args=[t.pk]) in cell_2 and "01:30" in cell_2
    assert reverse("tenders:detail", args=[t.pk]) not in cell_1
    company.alice.time_zone = "Europe/Moscow"
    company.alice.save()
    html = login(company.alice).get(reverse("tenders:calendar") + "?month=2026-12").content.decode()
    assert reverse("tenders:detail", args=[t.pk]) in html.split('data-day="2026-12-01"')[1].split("</td>")[0]
    assert Tender.objects.count() == 1
