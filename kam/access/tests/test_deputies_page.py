from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.access.models import Deputy

pytestmark = pytest.mark.django_db


def form(company, **changes):
    today = timezone.localdate()
    data = {
        "absent": company.alice.pk,
        "deputy": company.bob.pk,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=5)).isoformat(),
        "reason": "vacation",
    }
    data.update(changes)
    return data


def test_a_head_names_a_deputy_for_own_department(company, login):
    response = login(company.hannah).post(reverse("access:deputies"), form(company))
    assert response.status_code == 302
    entry = Deputy.objects.get()
    assert (entry.absent, entry.deputy, entry.created_by) == (company.alice, company.bob, company.hannah)


def test_a_head_cannot_name_a_deputy_in_another_department(company, login):
    response = login(company.hugo).post(reverse("access:deputies"), form(company))
    assert response.status_code == 200
    assert Deputy.objects.count() == 0


def test_dates_in_the_wrong_order_are_refused_with_a_message(company, login):
    today = timezone.localdate()
    response = login(company.hannah).post(
        reverse("access:deputies"), form(company, ends_on=(today - timedelta(days=1)).isoformat())
    )
    assert "before the start date" in response.content.decode()
    assert Deputy.objects.count() == 0


def test_overlapping_absences_are_refused(company, login):
    browser = login(company.hannah)
    browser.post(reverse("access:deputies"), form(company))
    response = browser.post(reverse("access:deputies"), form(company, deputy=company.hannah.pk))
    assert "already has a deputy" in response.content.decode()
    assert Deputy.objects.count() == 1


def test_a_kam_cannot_manage_deputies(company, login):
    browser = login(company.alice)
    assert browser.get(reverse("access:deputies")).status_code == 403
    assert browser.post(reverse("access:deputies"), form(company)).status_code == 403
    assert Deputy.objects.count() == 0


def test_ending_a_deputyship_takes_the_rights_away_today(company, login):
    today = timezone.localdate()
    entry = Deputy.objects.create(
        absent=company.alice,
        deputy=company.bob,
        starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=2),
    )
    login(company.hannah).post(reverse("access:deputy_end", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.ends_on < today
    assert not Deputy.objects.active().exists()


def test_a_head_without_a_department_sees_no_deputyships(company):
    from kam.access.models import User
    from kam.access.selectors import deputies_visible_to

    today = timezone.localdate()
    loner = User.objects.create_user(username="loner", password="x", role=company.alice.role)
    Deputy.objects.create(
        absent=loner, deputy=company.bob, starts_on=today, ends_on=today, reason="", created_by=company.hannah
    )
    head = User.objects.create_user(username="headless", password="x", role=company.hannah.role)
    assert head.department_id is None and loner.department_id is None
    assert list(deputies_visible_to(head)) == []


def test_the_deputys_rights_follow_the_page_at_once_though_todays_deputyships_are_cached(company, login):
    """Whom a user represents is read from a cached list of today's deputyships: naming and ending a
    deputy through the page must change what the deputy sees on the very next request."""
    from django.test import Client

    from kam.access import policy

    bob = login(company.bob)
    head = Client()
    head.force_login(company.hannah)
    dossier = reverse("clients:dossier", args=[company.alice_client.pk])
    assert bob.get(dossier).status_code == 404  # Alice's client, not Bob's
    assert policy.active_deputyships() == ()  # now cached
    assert head.post(reverse("access:deputies"), form(company)).status_code == 302
    assert bob.get(dossier).status_code == 200
    entry = Deputy.objects.get()
    head.post(reverse("access:deputy_end", args=[entry.pk]))
    assert not Deputy.objects.exists()  # it began today: ending it removes it
    assert bob.get(dossier).status_code == 404


def test_the_today_page_names_the_deputyship_both_ways(company, login):
    today = timezone.localdate()
    Deputy.objects.create(
        absent=company.alice, deputy=company.bob, starts_on=today, ends_on=today + timedelta(days=3)
    )
    assert "You deputise today for" in login(company.bob).get(reverse("home")).content.decode()
    assert "Your deputy while you are away" not in login(company.bob).get(reverse("home")).content.decode()
    assert "Your deputy while you are away" in login(company.alice).get(reverse("home")).content.decode()
    assert "You deputise today for" not in login(company.carol).get(reverse("home")).content.decode()
