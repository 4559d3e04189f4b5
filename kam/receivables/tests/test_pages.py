from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.receivables.models import Invoice

from .helpers import d, invoice

pytestmark = pytest.mark.django_db


def test_the_aging_page_shows_buckets_for_finance(company, login):
    invoice(company.alice_client, "1234.50", due_on=d("2026-01-01"))
    response = login(company.fiona).get(reverse("receivables:aging"), {"on": "2026-03-01"})
    assert response.status_code == 200
    assert "Romashka" in response.content.decode()


def test_a_kam_sees_only_own_clients_in_aging(company, login):
    invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    invoice(company.carol_client, "100.00", due_on=d("2026-01-01"))
    body = login(company.alice).get(reverse("receivables:aging"), {"on": "2026-03-01"}).content.decode()
    assert "Romashka" in body and "Lyutik" not in body


@pytest.mark.parametrize("who", ["sam", "adam"])
def test_sales_support_and_admin_get_no_receivables_pages(company, login, who):
    invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    http = login(getattr(company, who))
    assert http.get(reverse("receivables:aging")).status_code == 403
    assert http.get(reverse("receivables:aging_export")).status_code == 403


def test_the_aging_page_uses_the_same_number_of_queries_for_more_clients(company, login):
    http = login(company.diana)
    invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    with CaptureQueriesContext(connection) as few:
        http.get(reverse("receivables:aging"), {"on": "2026-03-01"})
    for c in (company.bob_client, company.carol_client):
        for days in (1, 40, 100):
            invoice(
                c,
                "10.00",
                due_on=d("2026-03-01").replace(day=1) - __import__("datetime").timedelta(days=days),
            )
    with CaptureQueriesContext(connection) as many:
        http.get(reverse("receivables:aging"), {"on": "2026-03-01", "by": "client"})
    assert len(many) == len(few)


def test_the_aging_export_is_recorded(company, login):
    from auditlog.models import LogEntry

    invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    response = login(company.fiona).get(
        reverse("receivables:aging_export"), {"on": "2026-03-01", "by": "kam"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    entry = LogEntry.objects.latest("pk")
    assert entry.additional_data["what"] == "aging" and entry.additional_data["rows"] == 1
    assert Invoice.objects.get().amount == Decimal("100.00")
