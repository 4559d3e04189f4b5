from datetime import timedelta

import pytest
from django.utils import timezone

from kam.access import policy
from kam.access.models import Deputy
from kam.clients.models import TeamMember

pytestmark = pytest.mark.django_db


def visible(user):
    return sorted(c.short_name for c in policy.visible_clients(user))


def test_each_role_sees_the_clients_the_spec_gives_it(company):
    assert visible(company.alice) == ["Romashka"]
    assert visible(company.bob) == ["Vasilek"]
    assert visible(company.carol) == ["Lyutik"]
    assert visible(company.hannah) == ["Romashka", "Vasilek"]
    assert visible(company.hugo) == ["Lyutik"]
    assert visible(company.diana) == ["Lyutik", "Romashka", "Vasilek"]
    assert visible(company.sam) == ["Lyutik", "Romashka", "Vasilek"]
    assert visible(company.fiona) == ["Lyutik", "Romashka", "Vasilek"]
    assert visible(company.adam) == []


def test_sales_support_and_finance_see_requisites_but_not_the_dossier(company):
    for user in (company.sam, company.fiona):
        assert policy.can(user, "clients.view_requisites", company.alice_client)
        assert not policy.can(user, "clients.view_dossier", company.alice_client)
        assert not policy.can(user, "clients.view_sensitive", company.alice_client)
        assert not policy.can(user, "clients.change_client", company.alice_client)


def test_a_team_member_sees_the_client_like_its_kam(company):
    TeamMember.objects.create(client=company.carol_client, user=company.alice)
    assert visible(company.alice) == ["Lyutik", "Romashka"]
    assert policy.can(company.alice, "clients.view_dossier", company.carol_client)


def test_a_deputy_has_the_absent_kams_rights_only_during_the_dates(company):
    today = timezone.localdate()
    entry = Deputy.objects.create(
        absent=company.bob, deputy=company.alice, starts_on=today, ends_on=today + timedelta(days=3)
    )
    assert visible(company.alice) == ["Romashka", "Vasilek"]
    assert policy.can(company.alice, "clients.change_client", company.bob_client)
    entry.starts_on = today - timedelta(days=10)
    entry.ends_on = today - timedelta(days=1)
    entry.save()
    assert visible(company.alice) == ["Romashka"]
    assert not policy.can(company.alice, "clients.view_dossier", company.bob_client)


def test_a_future_deputyship_grants_nothing_yet(company):
    today = timezone.localdate()
    Deputy.objects.create(
        absent=company.bob,
        deputy=company.alice,
        starts_on=today + timedelta(days=1),
        ends_on=today + timedelta(days=3),
    )
    assert visible(company.alice) == ["Romashka"]


def test_only_heads_and_the_director_reassign(company):
    assert policy.can(company.hannah, "clients.reassign_client", company.alice_client)
    assert not policy.can(company.hugo, "clients.reassign_client", company.alice_client)
    assert policy.can(company.diana, "clients.reassign_client", company.carol_client)
    assert not policy.can(company.alice, "clients.reassign_client", company.alice_client)


def test_a_superuser_without_business_role_gets_no_business_data(company):
    company.adam.is_superuser = True
    company.adam.save()
    assert not policy.can(company.adam, "clients.view_dossier", company.alice_client)
    assert visible(company.adam) == []


def test_an_inactive_user_sees_nothing(company):
    company.diana.is_active = False
    company.diana.save()
    assert visible(company.diana) == []
