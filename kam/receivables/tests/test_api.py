from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient

from kam.access.models import ApiToken
from kam.receivables.models import CollectionAction, Payment

from .helpers import d, invoice
from .test_pages import state

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, raw: str) -> None:
        self.http = HttpClient(headers={"Authorization": f"Bearer {raw}"})

    def get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return self.http.get(url, params or {})

    def post(self, url: str, body: Any) -> Any:
        return self.http.post(url, body, content_type="application/json")

    def put(self, url: str, body: Any) -> Any:
        return self.http.put(url, body, content_type="application/json")


@pytest.fixture
def api_as(company):
    def _api_as(user) -> Api:
        _token, raw = ApiToken.issue(user, "test")
        return Api(raw)

    return _api_as


def test_finance_reads_aging_and_records_an_allocated_payment(company, api_as):
    inv = invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    api = api_as(company.fiona)
    rows = api.get("/api/receivables/aging", {"on": "2026-03-01", "group_by": "department"}).json()
    assert rows[0]["label"] == "Sales North" and Decimal(rows[0]["d31_60"]) == Decimal("100.00")
    response = api.post(
        f"/api/receivables/clients/{company.alice_client.pk}/payments",
        {
            "received_on": "2026-03-01",
            "amount": "150.00",
            "reference": "pp 1",
            "allocate": [{"invoice_id": inv.pk, "amount": "60.00"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert Decimal(body["unallocated"]) == Decimal("90.00")
    figures = api.get(f"/api/receivables/clients/{company.alice_client.pk}").json()
    assert Decimal(figures["open"]) == Decimal("40.00") and Decimal(figures["advance"]) == Decimal("90.00")
    listed = api.get("/api/receivables/invoices", {"state": "open"}).json()
    assert listed["count"] == 1 and Decimal(listed["items"][0]["open_amount"]) == Decimal("40.00")


def test_a_kam_reads_own_figures_records_a_call_but_no_payment(company, api_as):
    invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    inv_carol = invoice(company.carol_client, "100.00", due_on=d("2026-01-01"))
    api = api_as(company.alice)
    assert api.get(f"/api/receivables/clients/{company.alice_client.pk}").status_code == 200
    before = state()
    assert api.get(f"/api/receivables/clients/{company.carol_client.pk}").status_code == 404
    assert api.get(f"/api/receivables/invoices/{inv_carol.pk}").status_code == 404
    assert (
        api.post(
            f"/api/receivables/clients/{company.alice_client.pk}/payments",
            {"received_on": "2026-03-01", "amount": "1"},
        ).status_code
        == 403
    )
    assert (
        api.put(
            f"/api/receivables/clients/{company.alice_client.pk}/credit-limit", {"credit_limit": "1"}
        ).status_code
        == 403
    )
    assert (
        api.post(
            f"/api/receivables/clients/{company.carol_client.pk}/actions",
            {"kind": "call", "done_on": "2026-03-01"},
        ).status_code
        == 404
    )
    assert state() == before
    response = api.post(
        f"/api/receivables/clients/{company.alice_client.pk}/actions",
        {
            "kind": "letter",
            "done_on": "2026-03-01",
            "promise_to_pay_on": "2026-03-05",
            "promised_amount": "100.00",
        },
    )
    assert response.status_code == 201, response.content
    assert CollectionAction.objects.get().by == company.alice


def test_sales_support_gets_403_from_every_receivables_endpoint(company, api_as):
    inv = invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    api = api_as(company.sam)
    before = state()
    for url in [
        "/api/receivables/aging",
        "/api/receivables/invoices",
        f"/api/receivables/invoices/{inv.pk}",
        f"/api/receivables/clients/{company.alice_client.pk}",
    ]:
        assert api.get(url).status_code == 403, url
    assert (
        api.post(
            f"/api/receivables/clients/{company.alice_client.pk}/payments",
            {"received_on": "2026-03-01", "amount": "1"},
        ).status_code
        == 403
    )
    assert state() == before


def test_bad_payment_input_is_422_and_writes_nothing(company, api_as):
    inv = invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    api = api_as(company.fiona)
    url = f"/api/receivables/clients/{company.alice_client.pk}/payments"
    for body in [
        {"received_on": "2026-03-01", "amount": "0"},
        {"received_on": "2026-03-01", "amount": "1.001"},
        {"received_on": "2026-03-01", "amount": "10", "extra": 1},
        {"received_on": "2026-03-01", "amount": "10", "allocate": [{"invoice_id": inv.pk, "amount": "11"}]},
        {"received_on": "2026-03-01", "amount": "200", "allocate": [{"invoice_id": inv.pk, "amount": "101"}]},
        {"received_on": "2026-03-01", "amount": "10", "allocate": [{"invoice_id": 999999, "amount": "1"}]},
    ]:
        response = api.post(url, body)
        assert response.status_code == 422, (body, response.content)
    assert Payment.objects.count() == 0
