import pytest
from auditlog.models import LogEntry
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_opening_a_dossier_is_recorded_with_who_and_from_where(company, login):
    login(company.alice).get(
        reverse("clients:dossier", args=[company.alice_client.pk]), REMOTE_ADDR="10.1.2.3"
    )
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert entry.actor == company.alice
    assert entry.remote_addr == "10.1.2.3"
    assert entry.object_pk == str(company.alice_client.pk)
    assert entry.additional_data["kind"] == "view"


def test_a_change_is_recorded_with_its_actor(company, login):
    client = company.alice_client
    login(company.alice).post(
        reverse("clients:edit", args=[client.pk]),
        {
            "legal_name": client.legal_name,
            "short_name": "Romashka Plus",
            "country": "RU",
            "tax_number": client.tax_number,
            "segment": client.segment,
            "status": client.status,
            "price_column": 2,
            "payment_terms_days": 30,
            "credit_limit": "1000000.00",
        },
    )
    entry = LogEntry.objects.filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == company.alice
    assert "short_name" in entry.changes_dict


def test_the_director_browses_and_filters_the_audit_log(company, login):
    login(company.alice).get(reverse("clients:dossier", args=[company.alice_client.pk]))
    login(company.alice).get(reverse("clients:export", args=["csv"]))
    browser = login(company.diana)
    page = browser.get(reverse("access:audit"), {"kind": "export"})
    assert page.status_code == 200
    assert [e.additional_data["kind"] for e in page.context["page"]] == ["export"]
    page = browser.get(reverse("access:audit"), {"actor": company.alice.pk, "kind": "view"})
    assert page.context["page"].paginator.count == 1


def test_nobody_but_the_director_sees_the_audit_log(company, login):
    for user in (company.alice, company.hannah, company.sam, company.fiona, company.adam):
        assert login(user).get(reverse("access:audit")).status_code == 403


def test_bad_audit_filters_do_not_break_the_page(company, login):
    page = login(company.diana).get(
        reverse("access:audit"), {"since": "2026-13-45", "actor": "x", "action": "9"}
    )
    assert page.status_code == 200
