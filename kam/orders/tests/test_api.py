"""The orders API: the pages' path and access rules, with real receivables behind the credit check."""

import pytest

from kam.access.models import ApiToken
from kam.orders.models import Order, OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def as_user(user):
        _token, raw = ApiToken.issue(user, "test")

        def call(method, path, payload=None):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
            if payload is not None:
                kwargs.update(data=payload, content_type="application/json")
            return getattr(client, method)(f"/api/orders{path}", **kwargs)

        return call

    return as_user


def snapshot():
    return (list(Order.objects.values_list("pk", "status", "total")), OrderEvent.objects.count())


def test_a_kam_takes_and_submits_an_order_and_support_delivers_it(company, catalogue, api):
    alice = api(company.alice)
    created = alice("post", "", {"client_id": company.alice_client.pk})
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    added = alice("post", f"/{order_id}/lines", {"product_code": "CEM-500", "quantity": "10"})
    assert added.status_code == 201 and added.json()["total"] == "5000.00"
    assert added.json()["lines"][0]["unit_cost"] == "300.00"
    assert alice("post", f"/{order_id}/submit").json()["status"] == "submitted"
    sam = api(company.sam)
    for step in ("entered", "shipped", "delivered"):
        moved = sam("post", f"/{order_id}/move", {"to": step})
        assert moved.status_code == 200, moved.content
    body = moved.json()
    assert body["status"] == "delivered" and body["invoice_id"] is not None
    assert body["lines"][0]["unit_cost"] is None  # sales support never sees cost prices


def test_a_discount_beyond_the_rule_waits_for_the_head(company, catalogue, api):
    alice = api(company.alice)
    order_id = alice("post", "", {"client_id": company.alice_client.pk}).json()["id"]
    alice("post", f"/{order_id}/lines", {"product_code": "CEM-500", "quantity": "1", "discount": "20"})
    assert alice("post", f"/{order_id}/submit").json()["status"] == "awaiting_approval"
    before = snapshot()
    assert api(company.hugo)("post", f"/{order_id}/decision", {"approve": True}).status_code == 404
    assert alice("post", f"/{order_id}/decision", {"approve": True}).status_code == 403
    assert snapshot() == before
    assert (
        api(company.hannah)("post", f"/{order_id}/decision", {"approve": True}).json()["status"]
        == "submitted"
    )


def test_another_kam_and_finance_cannot_touch_the_order(company, catalogue, api):
    alice = api(company.alice)
    order_id = alice("post", "", {"client_id": company.alice_client.pk}).json()["id"]
    before = snapshot()
    carol = api(company.carol)
    assert carol("get", f"/{order_id}").status_code == 404
    assert (
        carol("post", f"/{order_id}/lines", {"product_code": "CEM-500", "quantity": "1"}).status_code == 404
    )
    assert carol("post", "", {"client_id": company.alice_client.pk}).status_code == 404
    assert carol("get", "").json()["items"] == []
    fiona = api(company.fiona)
    assert fiona("get", "").status_code == 403
    assert fiona("post", f"/{order_id}/move", {"to": "entered"}).status_code == 403
    assert alice("post", f"/{order_id}/move", {"to": "entered"}).status_code == 403
    assert snapshot() == before


def test_forbidden_moves_and_bad_input_are_clear_errors(company, catalogue, api):
    alice = api(company.alice)
    order_id = alice("post", "", {"client_id": company.alice_client.pk}).json()["id"]
    before = snapshot()
    assert api(company.sam)("post", f"/{order_id}/move", {"to": "delivered"}).status_code == 422
    bad = alice("post", f"/{order_id}/lines", {"product_code": "NOPE", "quantity": "1"})
    assert bad.status_code == 422 and "product_code" in bad.json()["errors"]
    assert (
        alice("post", f"/{order_id}/lines", {"product_code": "CEM-500", "quantity": "-1"}).status_code == 422
    )
    assert alice("post", "", {"client_id": company.alice_client.pk, "surprise": 1}).status_code == 422
    assert snapshot() == before


def test_the_list_is_paginated_with_a_constant_number_of_queries(
    company, catalogue, api, django_assert_max_num_queries
):
    alice = api(company.alice)
    for _ in range(3):
        alice("post", "", {"client_id": company.alice_client.pk})
    first = alice("get", "?page_size=2")
    assert first.json()["count"] == 3 and len(first.json()["items"]) == 2
    with django_assert_max_num_queries(8):
        alice("get", "")
    for _ in range(20):
        alice("post", "", {"client_id": company.alice_client.pk})
    with django_assert_max_num_queries(8):
        assert len(alice("get", "").json()["items"]) == 23
