"""The iCalendar feed, read back by two independent parsers in strict mode."""

from datetime import timedelta

import icalendar
import pytest
import vobject
from django.urls import reverse

from kam.activities import services
from kam.activities.models import Activity

from .helpers import plan

pytestmark = pytest.mark.django_db


def _int(value) -> int:
    return int(str(value))


def feed_url(user):
    _token, raw = services.feed_token_issue(user=user)
    return reverse("activities:feed", args=[raw]), raw


def fetch(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/calendar")
    return response.content.decode()


def events_by_uid(text: str) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(text)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}  # type: ignore[misc]


def test_the_feed_is_valid_rfc5545_for_both_parsers(company, client):
    plan(
        company.alice,
        company.alice_client,
        place="Москва, ул. Ленина, 1",
        goal="Обсудить; весенний заказ, скидки",
    )
    url, _raw = feed_url(company.alice)
    text = fetch(client, url)  # no session: the token is the key
    assert "\r\n" in text
    cal = icalendar.Calendar.from_ical(text)
    assert cal["VERSION"] == "2.0" and cal.get("PRODID")
    timezones = cal.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["Europe/Moscow"]
    (event,) = cal.walk("VEVENT")
    for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY", "STATUS"):
        assert prop in event
    assert event["DTSTART"].params["TZID"] == "Europe/Moscow"
    assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)
    assert str(event["LOCATION"]) == "Москва, ул. Ленина, 1"

    parsed = vobject.readOne(text, validate=True)
    assert parsed.vtimezone.tzid.value == "Europe/Moscow"
    vevent = parsed.vevent
    assert vevent.uid.value == str(event["UID"])
    assert vevent.dtstart.value.utcoffset() == timedelta(hours=3)
    assert vevent.description.value == "Обсудить; весенний заказ, скидки"
    parsed.serialize(validate=True)  # vobject's own strict re-serialisation


def test_an_update_keeps_the_uid_and_increments_the_sequence_and_a_cancellation_is_sent(company, client):
    activity = plan(company.alice, company.alice_client)
    url, _raw = feed_url(company.alice)
    before = events_by_uid(fetch(client, url))
    (uid,) = before
    assert _int(before[uid]["SEQUENCE"]) == 0 and str(before[uid]["STATUS"]) == "CONFIRMED"

    services.activity_update(
        user=company.alice,
        activity=activity,
        data={
            "planned_start": activity.planned_start + timedelta(hours=2),
            "planned_end": activity.planned_end + timedelta(hours=2),
        },
    )
    moved = events_by_uid(fetch(client, url))
    assert list(moved) == [uid]
    assert _int(moved[uid]["SEQUENCE"]) == 1
    assert moved[uid].decoded("DTSTART") == before[uid].decoded("DTSTART") + timedelta(hours=2)

    services.activity_cancel(user=company.alice, activity=activity)
    text = fetch(client, url)
    cancelled = events_by_uid(text)
    assert list(cancelled) == [uid] and _int(cancelled[uid]["SEQUENCE"]) == 2
    assert str(cancelled[uid]["STATUS"]) == "CANCELLED"
    assert vobject.readOne(text, validate=True).vevent.status.value == "CANCELLED"


def test_the_feed_holds_owned_and_joined_activities_only(company, client):
    plan(company.alice, company.alice_client, goal="alice own")
    plan(company.bob, company.bob_client, goal="bob with alice", participants=[company.alice])
    plan(company.bob, company.bob_client, goal="bob alone")
    url, _raw = feed_url(company.alice)
    cal = icalendar.Calendar.from_ical(fetch(client, url))
    assert sorted(str(e["DESCRIPTION"]) for e in cal.walk("VEVENT")) == ["alice own", "bob with alice"]


def test_a_revoked_or_replaced_token_is_404(company, client, login):
    plan(company.alice, company.alice_client)
    url, _raw = feed_url(company.alice)
    assert client.get(url).status_code == 200
    new_url, _ = feed_url(company.alice)  # a new link replaces the old one
    assert client.get(url).status_code == 404
    token = company.alice.feed_tokens.get(revoked_at__isnull=True)
    # Another user cannot revoke alice's link.
    login(company.carol).post(reverse("activities:feed_revoke", args=[token.pk]))
    assert client.get(new_url).status_code == 200
    client.logout()
    login(company.alice).post(reverse("activities:feed_revoke", args=[token.pk]))
    client.logout()
    assert client.get(new_url).status_code == 404
    assert client.get(reverse("activities:feed", args=["not-a-token"])).status_code == 404


def test_the_feed_of_an_inactive_user_stops(company, client):
    url, _raw = feed_url(company.alice)
    company.alice.is_active = False
    company.alice.save()
    assert client.get(url).status_code == 404


def test_the_token_is_stored_only_as_a_hash(company):
    _token, raw = services.feed_token_issue(user=company.alice)
    stored = company.alice.feed_tokens.get()
    assert raw not in (stored.token_hash, stored.prefix + "x") and stored.token_hash != raw
    assert Activity.objects.count() == 0
