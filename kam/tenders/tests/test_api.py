"""The tenders API: the pages' rules; another KAM's tender is refused and left as it was."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kam.access.models import ApiToken
from kam.orders.models import Product
from kam.tenders.models import Lot, LotItem, Tender

from .helpers import tender

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def as_user(user):
        _token, raw = ApiToken.issue(user, "test")

        def call(method, path, payload=None):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
            if payload is not None:
                kwargs.update(data=payload, content_type="application/json")
            return getattr(client, method)(f"/api/tenders{path}", **kwargs)

        return call

    return as_user


def snapshot():
    return (
        list(Tender.objects.values_list("pk", "title", "status", "deadline")),
        list(Lot.objects.values_list("pk", "result", "bid_amount")),
    )


def test_a_kam_records_a_tender_bids_and_loses_it_through_the_api(company, api):
    Product.objects.create(code="AMX-500", name="Amoxicillin 500 mg")
    alice = api(company.alice)
    created = alice(
        "post",
        "",
        {"client_id": company.alice_client.pk, "title": "Antibiotics", "deadline": "2026-12-01T23:30:00"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    tender_id = body["id"]
    assert body["status"] == "preparing" and body["kam_id"] == company.alice.pk
    # no offset: Moscow wall-clock time
    assert Tender.objects.get().deadline == datetime(2026, 12, 1, 20, 30, tzinfo=ZoneInfo("UTC"))
    added = alice(
        "post",
        f"/{tender_id}/lots",
        {
            "subject": "Antibiotics",
            "initial_price": "1000.00",
            "bid_amount": "900.00",
            "items": [
                {"product_code": "AMX-500", "quantity": "100", "unit": "pack"},
                {"name": "Other", "quantity": "1"},
            ],
        },
    )
    assert added.status_code == 201, added.content
    lot = added.json()["lots"][0]
    assert [i["name"] for i in lot["items"]] == ["Amoxicillin 500 mg", "Other"]
    assert alice("post", f"/{tender_id}/status", {"status": "submitted"}).json()["status"] == "submitted"
    refused = alice("post", f"/{tender_id}/lots/{lot['id']}/result", {"result": "lost"})
    assert refused.status_code == 422 and set(refused.json()["errors"]) == {"winner", "reasons"}
    done = alice(
        "post",
        f"/{tender_id}/lots/{lot['id']}/result",
        {"result": "lost", "winner_name": "OOO Rival", "winning_price": "850.00", "reasons": "Price"},
    )
    assert done.status_code == 200 and done.json()["lots"][0]["winner"] == "OOO Rival"
    closed = alice("post", f"/{tender_id}/status", {"status": "lost", "note": "Next year"})
    assert closed.json()["status"] == "lost" and closed.json()["result_note"] == "Next year"
    listed = alice("get", "?status=closed").json()
    assert listed["count"] == 1 and listed["items"][0]["client"] == "Romashka"


def test_a_jump_to_won_is_refused_with_a_reason(company, api):
    t = tender(company.alice, company.alice_client)
    response = api(company.alice)("post", f"/{t.pk}/status", {"status": "won"})
    assert response.status_code == 422 and Tender.objects.get().status == "preparing"


def test_another_kams_tender_is_refused_and_unchanged(company, api):
    t = tender(company.bob, company.bob_client)
    Lot.objects.create(tender=t, subject="x", initial_price=10, bid_amount=5)
    before = snapshot()
    carol = api(company.carol)
    assert carol("get", f"/{t.pk}").status_code == 404
    assert carol("patch", f"/{t.pk}", {"title": "Hijacked"}).status_code == 404
    assert carol("post", f"/{t.pk}/status", {"status": "cancelled"}).status_code == 404
    assert carol("post", f"/{t.pk}/lots", {"subject": "y", "initial_price": "1"}).status_code == 404
    assert (
        carol(
            "post",
            "",
            {
                "client_id": company.bob_client.pk,
                "title": "Mine now",
                "deadline": "2026-12-01T10:00:00+03:00",
            },
        ).status_code
        == 404
    )
    assert carol("get", "").json()["count"] == 0
    assert api(company.sam)("get", "").status_code == 403
    assert api(company.sam)("get", f"/{t.pk}").status_code == 403
    assert snapshot() == before and not LotItem.objects.exists()
    # bob's head may change it
    patched = api(company.hannah)(
        "patch", f"/{t.pk}", {"title": "Renamed", "deadline": "2026-12-02T09:00:00+00:00"}
    )
    assert patched.status_code == 200 and patched.json()["title"] == "Renamed"


def test_bad_input_is_a_422_not_a_500(company, api):
    alice = api(company.alice)
    base = {"client_id": company.alice_client.pk, "title": "T", "deadline": "2026-12-01T10:00:00"}
    assert alice("post", "", {**base, "time_zone": "Mars/Olympus"}).status_code == 422
    assert alice("post", "", {**base, "deadline": "0001-01-01T00:00:00"}).status_code == 422
    assert alice("post", "", {**base, "kam_id": 999999}).status_code == 422
    assert alice("post", "", {**base, "url": "not a url"}).status_code == 422
    assert not Tender.objects.exists()
