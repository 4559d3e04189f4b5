"""Activities, weekly plan, permissions, punctuality and reminders."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.access import policy
from kam.activities import selectors, services
from kam.activities.models import Activity, Status, WeeklyPlan

from .helpers import at, plan

pytestmark = pytest.mark.django_db


def snapshot_of(activity):
    activity = Activity.objects.get(pk=activity.pk)
    return (
        activity.sequence,
        activity.status,
        activity.actual_start,
        activity.planned_start,
        activity.outcome,
    )


def test_a_kam_plans_a_visit_with_people_and_it_gets_a_stable_uid(company):
    stakeholder = company.alice_client.stakeholders.get()
    activity = plan(
        company.alice, company.alice_client, participants=[company.bob], stakeholders=[stakeholder]
    )
    assert activity.owner == company.alice
    assert list(activity.participants.all()) == [company.bob]
    assert list(activity.stakeholders.all()) == [stakeholder]
    uid = activity.uid
    services.activity_update(user=company.alice, activity=activity, data={"place": "Their plant"})
    activity.refresh_from_db()
    assert activity.uid == uid and activity.sequence == 1 and activity.place == "Their plant"


def test_a_head_plans_on_behalf_of_the_clients_kam(company):
    activity = plan(company.hannah, company.alice_client)
    assert activity.owner == company.alice


def test_it_refuses_planning_for_another_kams_client_and_creates_nothing(company):
    with pytest.raises(PermissionDenied):
        plan(company.carol, company.alice_client)
    assert Activity.objects.count() == 0


def test_it_refuses_the_end_before_the_start_and_stakeholders_of_another_client(company):
    start = at()
    with pytest.raises(ValidationError):
        services.activity_create(
            user=company.alice,
            client=company.alice_client,
            kind="visit",
            planned_start=start,
            planned_end=start - timedelta(minutes=1),
        )
    stranger = company.bob_client.stakeholders.create(full_name="Stranger")
    with pytest.raises(ValidationError):
        plan(company.alice, company.alice_client, stakeholders=[stranger])
    assert Activity.objects.count() == 0


def test_activity_rules_per_role(company):
    activity = plan(company.alice, company.alice_client, participants=[company.sam])
    can = lambda user: policy.can(user, "activities.view_activity", activity)  # noqa: E731
    assert can(company.alice) and can(company.hannah) and can(company.diana)
    assert can(company.sam)  # a participant
    assert (
        not can(company.carol) and not can(company.hugo) and not can(company.bob) and not can(company.fiona)
    )
    assert policy.can(company.alice, "activities.view_schedule")
    assert not policy.can(company.sam, "activities.view_schedule")
    assert policy.can(company.hannah, "activities.view_kam_schedule", company.alice)
    assert not policy.can(company.hugo, "activities.view_kam_schedule", company.alice)
    assert not policy.can(company.bob, "activities.view_kam_schedule", company.alice)


@pytest.mark.parametrize(
    "name,method",
    [
        ("activities:detail", "get"),
        ("activities:edit", "get"),
        ("activities:brief", "get"),
        ("activities:brief_pdf", "get"),
        ("activities:start", "post"),
        ("activities:complete", "post"),
        ("activities:cancel", "post"),
        ("activities:checklist", "post"),
    ],
)
def test_another_kam_gets_404_on_every_door_of_an_activity_and_nothing_changes(company, login, name, method):
    activity = plan(company.alice, company.alice_client)
    before = snapshot_of(activity)
    browser = login(company.carol)
    url = reverse(name, args=[activity.pk])
    data = {"outcome": "hijacked", "ticked": ["manners"]}
    response = browser.get(url) if method == "get" else browser.post(url, data)
    assert response.status_code == 404
    assert snapshot_of(activity) == before
    assert Activity.objects.get(pk=activity.pk).checklist == {}


def test_another_kams_calendar_is_refused(company, login):
    activity = plan(company.alice, company.alice_client)
    # The week of the visit (tomorrow is next week on a Sunday).
    day = timezone.localtime(activity.planned_start).date().isoformat()
    browser = login(company.carol)
    for name in ("activities:week", "activities:month"):
        assert browser.get(reverse(name), {"kam": company.alice.pk}).status_code == 404
    assert (
        browser.post(
            reverse("activities:plan_set") + f"?kam={company.alice.pk}", {"visits": 9, "calls": 9}
        ).status_code
        == 404
    )
    assert not WeeklyPlan.objects.exists()
    # A head of the other department too; the own head may look.
    assert login(company.hugo).get(reverse("activities:week"), {"kam": company.alice.pk}).status_code == 404
    response = login(company.hannah).get(reverse("activities:week"), {"kam": company.alice.pk, "d": day})
    assert response.status_code == 200 and "Romashka" in response.content.decode()


def test_support_and_finance_have_no_schedule(company, login):
    assert login(company.sam).get(reverse("activities:week")).status_code == 403


def test_the_week_view_shows_the_weeks_activities_with_a_constant_number_of_queries(company, login):
    monday = services.week_monday(timezone.localdate())
    start = timezone.localtime().replace(
        year=monday.year, month=monday.month, day=monday.day, hour=9, minute=0, second=0, microsecond=0
    )
    plan(company.alice, company.alice_client, start=start)
    browser = login(company.alice)
    url = reverse("activities:week") + f"?d={monday.isoformat()}"
    browser.get(url)
    with CaptureQueriesContext(connection) as few:
        response = browser.get(url)
    assert response.status_code == 200 and "Romashka" in response.content.decode()
    for i in range(12):
        plan(
            company.alice,
            company.alice_client,
            start=start + timedelta(days=i % 7, hours=i // 7),
            kind="call",
        )
    with CaptureQueriesContext(connection) as many:
        response = browser.get(url)
    assert response.content.decode().count('class="act act-') == 13
    assert len(many) == len(few)


def test_the_month_view_renders(company, login):
    plan(company.alice, company.alice_client)
    response = login(company.alice).get(reverse("activities:month"), {"d": at().date().isoformat()})
    assert response.status_code == 200 and "Romashka" in response.content.decode()


def test_weekly_plan_fulfilment_counts_held_activities_of_each_kind(company, login):
    monday = services.week_monday(timezone.localdate())
    services.weekly_plan_set(user=company.alice, kam=company.alice, week_start=monday, visits=4, calls=10)
    start = timezone.localtime().replace(
        year=monday.year, month=monday.month, day=monday.day, hour=9, minute=0, second=0, microsecond=0
    )
    held = plan(company.alice, company.alice_client, start=start)
    services.activity_complete(user=company.alice, activity=held, outcome="Agreed the volumes")
    plan(company.alice, company.alice_client, start=start + timedelta(days=1))  # scheduled, not yet held
    cancelled = plan(company.alice, company.alice_client, start=start + timedelta(days=2))
    services.activity_cancel(user=company.alice, activity=cancelled)
    call = plan(company.alice, company.alice_client, start=start + timedelta(hours=3), kind="call")
    services.activity_complete(user=company.alice, activity=call, outcome="ok")
    plan(company.alice, company.alice_client, start=start + timedelta(days=7))  # next week
    _plan, rows = selectors.weekly_fulfilment(company.alice, monday)
    visits, calls = rows
    assert (visits.planned, visits.scheduled, visits.done, visits.percent) == (4, 2, 1, 25)
    assert (calls.planned, calls.scheduled, calls.done, calls.percent) == (10, 1, 1, 10)
    response = login(company.alice).post(
        reverse("activities:plan_set"), {"d": monday.isoformat(), "visits": 5, "calls": 3}
    )
    assert response.status_code == 302
    assert WeeklyPlan.objects.get(kam=company.alice, week_start=monday).visits == 5


def test_lateness_is_over_the_tolerance_exactly_at_it_is_on_time(company, settings):
    settings.KAM_PUNCTUALITY_TOLERANCE_MINUTES = 5
    activity = plan(company.alice, company.alice_client)
    services.activity_start(
        user=company.alice, activity=activity, at=activity.planned_start + timedelta(minutes=5)
    )
    activity.refresh_from_db()
    assert not activity.is_late
    services.activity_start(
        user=company.alice, activity=activity, at=activity.planned_start + timedelta(minutes=5, seconds=1)
    )
    activity.refresh_from_db()
    assert activity.is_late


def test_the_punctuality_report_counts_late_starts_per_kam(company, login):
    day = timezone.localdate()
    late = plan(company.alice, company.alice_client, start=at(0, 9))
    on_time = plan(company.alice, company.alice_client, start=at(0, 12))
    services.activity_start(user=company.alice, activity=late, at=late.planned_start + timedelta(minutes=25))
    services.activity_start(
        user=company.alice, activity=on_time, at=on_time.planned_start - timedelta(minutes=2)
    )
    bobs = plan(company.bob, company.bob_client, start=at(0, 9))
    services.activity_start(user=company.bob, activity=bobs, at=bobs.planned_start + timedelta(minutes=11))
    rows = {r.kam.username: r for r in selectors.punctuality_report(company.hannah, day, day)}
    assert (rows["alice"].started, rows["alice"].late, rows["alice"].average_delay) == (2, 1, 25)
    assert (rows["bob"].started, rows["bob"].late, rows["bob"].average_delay) == (1, 1, 11)
    # A KAM sees only their own row; the other department's head sees neither.
    assert [r.kam.username for r in selectors.punctuality_report(company.alice, day, day)] == ["alice"]
    assert "alice" not in {r.kam.username for r in selectors.punctuality_report(company.hugo, day, day)}
    response = login(company.hannah).get(
        reverse("activities:punctuality"), {"from": day.isoformat(), "to": day.isoformat()}
    )
    assert response.status_code == 200 and "Romashka (+25)" in response.content.decode()


def test_the_started_button_records_now_and_an_entered_time_works_too(company, login):
    activity = plan(company.alice, company.alice_client, start=at(0, 0, 0) + timedelta(hours=1))
    browser = login(company.alice)
    assert browser.post(reverse("activities:start", args=[activity.pk])).status_code == 302
    activity.refresh_from_db()
    assert activity.actual_start is not None and abs(activity.actual_start - timezone.now()) < timedelta(
        minutes=1
    )
    entered = timezone.localtime(activity.planned_start) + timedelta(minutes=17)
    browser.post(
        reverse("activities:start", args=[activity.pk]), {"actual_start": entered.strftime("%Y-%m-%dT%H:%M")}
    )
    activity.refresh_from_db()
    assert activity.actual_start == entered and activity.is_late


def test_a_start_far_from_the_plan_is_refused_and_nothing_changes(company, login):
    activity = plan(company.alice, company.alice_client)
    before = snapshot_of(activity)
    wrong = timezone.localtime(activity.planned_start) + timedelta(days=3)
    login(company.alice).post(
        reverse("activities:start", args=[activity.pk]), {"actual_start": wrong.strftime("%Y-%m-%dT%H:%M")}
    )
    assert snapshot_of(activity) == before


def test_reminders_are_sent_once_per_activity(company):
    company.alice.email = "alice@example.com"
    company.alice.save()
    company.bob.email = "bob@example.com"
    company.bob.save()
    now = timezone.now()
    soon = plan(
        company.alice, company.alice_client, start=now + timedelta(minutes=30), participants=[company.bob]
    )
    plan(company.alice, company.alice_client, start=now + timedelta(minutes=200))  # later
    cancelled = plan(company.alice, company.alice_client, start=now + timedelta(minutes=20))
    services.activity_cancel(user=company.alice, activity=cancelled)
    call_command("send_reminders", "--minutes", "60")
    call_command("send_reminders", "--minutes", "60")
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["alice@example.com", "bob@example.com"]
    assert "Romashka" in mail.outbox[0].subject
    soon.refresh_from_db()
    assert soon.reminder_sent_at is not None
    # Moving the meeting arms the reminder again.
    services.activity_update(
        user=company.alice,
        activity=soon,
        data={
            "planned_start": soon.planned_start + timedelta(minutes=10),
            "planned_end": soon.planned_end + timedelta(minutes=10),
        },
    )
    assert services.reminders_send(within_minutes=60) == 1
    assert len(mail.outbox) == 2


def test_a_follow_up_is_prefilled_from_the_next_step(company, login):
    activity = plan(company.alice, company.alice_client)
    services.activity_complete(
        user=company.alice, activity=activity, outcome="Liked the samples", next_step="Send the price offer"
    )
    browser = login(company.alice)
    response = browser.get(reverse("activities:new"), {"follows": activity.pk})
    assert response.status_code == 200 and "Send the price offer" in response.content.decode()
    initial = services.follow_up_initial(activity)
    response = browser.post(
        reverse("activities:new") + f"?follows={activity.pk}",
        {
            "kind": "meeting",
            "planned_start": timezone.localtime(initial["planned_start"]).strftime("%Y-%m-%dT%H:%M"),
            "planned_end": timezone.localtime(initial["planned_end"]).strftime("%Y-%m-%dT%H:%M"),
            "goal": "Send the price offer",
            "follows": activity.pk,
        },
    )
    assert response.status_code == 302
    follow = Activity.objects.exclude(pk=activity.pk).get()
    assert (
        follow.follows == activity
        and follow.status == Status.PLANNED
        and follow.client == company.alice_client
    )


def test_the_new_activity_form_plans_a_visit(company, login):
    browser = login(company.alice)
    start = at(2, 11)
    response = browser.post(
        reverse("activities:new"),
        {
            "kind": "visit",
            "client": company.alice_client.pk,
            "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
            "planned_end": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "place": "Moscow",
        },
    )
    assert response.status_code == 302
    assert Activity.objects.get().planned_start == start


def test_the_new_activity_form_refuses_another_kams_client(company, login):
    browser = login(company.carol)
    start = at(2, 11)
    response = browser.post(
        reverse("activities:new"),
        {
            "kind": "visit",
            "client": company.alice_client.pk,
            "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
            "planned_end": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 200  # the form: not a choice for carol
    assert not Activity.objects.exists()
    assert browser.get(reverse("activities:new"), {"client": company.alice_client.pk}).status_code == 404


def test_clients_due_for_a_visit_follow_keyness(company):
    # No analysis yet: every client counts as "not analysed" (quarterly) and is due without a past visit.
    due = selectors.clients_due_for_visit(company.alice, company.alice)
    assert [d.client for d in due] == [company.alice_client]
    assert due[0].tier == "none" and due[0].every_days == 91
    assert selectors.count_clients_due_for_visit(company.alice, company.alice) == 1
    visit = plan(company.alice, company.alice_client, start=at(-10))
    services.activity_complete(user=company.alice, activity=visit, outcome="ok")
    assert selectors.clients_due_for_visit(company.alice, company.alice) == []  # visited 10 days ago
    assert selectors.count_clients_due_for_visit(company.alice, company.alice) == 0
    Activity.objects.filter(pk=visit.pk).update(planned_start=at(-200), planned_end=at(-200, 11))
    assert selectors.count_clients_due_for_visit(company.alice, company.alice) == 1
    plan(company.alice, company.alice_client, start=at(3))
    assert selectors.clients_due_for_visit(company.alice, company.alice) == []
    assert selectors.count_clients_due_for_visit(company.alice, company.alice) == 0
    assert selectors.count_clients_due_for_visit(company.carol, company.alice) == 0  # not carol's to see


def test_feedback_is_recorded_and_shown_as_a_trend_on_the_dossier(company, login):
    browser = login(company.alice)
    today = timezone.localdate()
    for score in (3, 5):
        response = browser.post(
            reverse("activities:feedback_add", args=[company.alice_client.pk]),
            {"received_on": today.isoformat(), "about": "Delivery 12", "score": score, "comment": "On time"},
        )
        assert response.status_code == 302
    response = browser.get(reverse("clients:dossier_tab", args=[company.alice_client.pk, "feedback"]))
    body = response.content.decode()
    assert response.status_code == 200 and 'id="feedback-trend"' in body and "4.0" in body
    # Out of range: refused, nothing stored.
    browser.post(
        reverse("activities:feedback_add", args=[company.alice_client.pk]),
        {"received_on": today.isoformat(), "about": "x", "score": 9},
    )
    assert company.alice_client.feedback.count() == 2
    # Another KAM: 404 and nothing stored.
    response = login(company.carol).post(
        reverse("activities:feedback_add", args=[company.alice_client.pk]),
        {"received_on": today.isoformat(), "about": "x", "score": 1},
    )
    assert response.status_code == 404 and company.alice_client.feedback.count() == 2


def test_the_activities_tab_lists_the_clients_activities(company, login):
    plan(company.alice, company.alice_client, goal="Present the new catalogue")
    response = login(company.alice).get(
        reverse("clients:dossier_tab", args=[company.alice_client.pk, "activities"])
    )
    assert response.status_code == 200 and "Present the new catalogue" in response.content.decode()


def test_the_home_page_shows_todays_schedule(company, login):
    plan(company.alice, company.alice_client, start=at(0, 0, 1))
    body = login(company.alice).get(reverse("home")).content.decode()
    assert 'id="today-activities"' in body and "Romashka" in body
    assert 'id="today-activities"' not in login(company.sam).get(reverse("home")).content.decode()


def analysed(rows):
    """A finished analysis with the given (client, abc, is_key_any) rows."""
    from kam.analytics.models import Snapshot, SnapshotClient, SnapshotStatus

    snapshot = Snapshot.objects.create(status=SnapshotStatus.DONE)
    for rank, (client, abc, key) in enumerate(rows, start=1):
        SnapshotClient.objects.create(
            snapshot=snapshot,
            client=client,
            rank=rank,
            turnover=0,
            income=0,
            basis=0,
            abc=abc,
            xyz="X",
            is_key_any=key,
        )
    return snapshot


@pytest.mark.parametrize(
    "abc,key,days", [("A", False, 14), ("B", True, 14), ("B", False, 30), ("C", False, 91)]
)
def test_the_visit_interval_follows_the_latest_analysis(company, abc, key, days):
    analysed([(company.alice_client, abc, key)])
    visit = plan(company.alice, company.alice_client, start=at(-(days - 1)))
    services.activity_complete(user=company.alice, activity=visit, outcome="ok")
    assert selectors.clients_due_for_visit(company.alice, company.alice) == []  # not due yet
    assert selectors.count_clients_due_for_visit(company.alice, company.alice) == 0
    Activity.objects.filter(pk=visit.pk).update(planned_start=at(-days), planned_end=at(-days, 11))
    (due,) = selectors.clients_due_for_visit(company.alice, company.alice)  # due today, to the day
    assert due.every_days == days and due.tier == ("key" if key else abc)
    assert selectors.count_clients_due_for_visit(company.alice, company.alice) == 1
