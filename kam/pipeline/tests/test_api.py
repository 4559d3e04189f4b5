"""The pipeline API: list, detail, create, update, move (stage history), close, weighted forecast; access."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from kam.access.models import ApiToken
from kam.clients.models import Competitor
from kam.pipeline import services
from kam.pipeline.models import Opportunity, StageChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def as_user(user):
        _token, raw = ApiToken.issue(user, "test")

        def call(method, path, payload=None, **params):
            kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
            if payload is not None:
                kwargs.update(data=payload, content_type="application/json")
            elif params:
                kwargs["data"] = params
            return getattr(client, method)(f"/api/pipeline{path}", **kwargs)

        return call

    return as_user


def state():
    return (
        list(Opportunity.objects.order_by("pk").values_list("pk", "stage", "status", "amount", "title")),
        StageChange.objects.count(),
    )


def opp(company, client=None, **extra):
    client = client or company.alice_client
    fields = {"title": "Pumps", "amount": Decimal("1000.00"), "expected_on": date(2026, 3, 15), **extra}
    return services.opportunity_create(actor=client.owner, client=client, **fields)


def test_a_kam_creates_updates_and_moves_an_opportunity_with_its_history(company, api):
    acme = Competitor.objects.create(name="Acme")
    alice = api(company.alice)
    created = alice(
        "post",
        "/opportunities",
        {
            "client_id": company.alice_client.pk,
            "title": "New line",
            "amount": "200000.00",
            "expected_on": "2026-06-30",
            "stage": "proposal",
            "competitor_ids": [acme.pk],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["probability"], Decimal(body["weighted"]), body["owner"]) == (25, 50000, "Alice Test")
    assert body["competitor_ids"] == [acme.pk]
    pk = body["id"]
    patched = alice(
        "patch",
        f"/opportunities/{pk}",
        {"amount": "100000.00", "next_step": "Call", "next_step_on": "2026-06-01"},
    )
    assert patched.status_code == 200 and patched.json()["amount"] == "100000.00"
    moved = alice("post", f"/opportunities/{pk}/move", {"stage": "meeting"})
    assert moved.status_code == 200
    history = moved.json()["history"]
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [("", "proposal"), ("proposal", "meeting")]
    assert moved.json()["probability"] == 40
    listed = alice("get", "/opportunities", stage="meeting")
    assert listed.json()["count"] == 1 and listed.json()["items"][0]["id"] == pk
    closed = alice("post", f"/opportunities/{pk}/close", {"status": "lost", "lost_reason": "Price"})
    assert closed.json()["status"] == "lost"


def test_invalid_input_is_422_and_changes_nothing(company, api):
    o = opp(company)
    before = state()
    alice = api(company.alice)
    assert (
        alice("post", f"/opportunities/{o.pk}/move", {"stage": "research"}).status_code == 422
    )  # same stage
    assert alice("post", f"/opportunities/{o.pk}/move", {"stage": "nowhere"}).status_code == 422
    assert alice("patch", f"/opportunities/{o.pk}", {"next_step_on": "2026-01-01"}).status_code == 422
    assert alice("patch", f"/opportunities/{o.pk}", {"amount": "-1"}).status_code == 422
    assert alice("patch", f"/opportunities/{o.pk}", {"stage": "contract"}).status_code == 422  # not here
    assert alice("post", f"/opportunities/{o.pk}/close", {"status": "lost"}).status_code == 422
    bad = {"client_id": company.alice_client.pk, "title": "X", "amount": "1", "expected_on": "2026-01-01"}
    assert alice("post", "/opportunities", {**bad, "competitor_ids": [999999]}).status_code == 422
    assert alice("post", "/opportunities", {**bad, "owner_id": company.sam.pk}).status_code == 422
    assert state() == before


def test_another_kams_opportunity_is_404_and_nothing_changes(company, api):
    o = opp(company)
    before = state()
    carol = api(company.carol)
    assert carol("get", f"/opportunities/{o.pk}").status_code == 404
    assert carol("post", f"/opportunities/{o.pk}/move", {"stage": "contact"}).status_code == 404
    assert carol("patch", f"/opportunities/{o.pk}", {"title": "Mine"}).status_code == 404
    created = carol(
        "post",
        "/opportunities",
        {"client_id": company.alice_client.pk, "title": "X", "amount": "1", "expected_on": "2026-01-01"},
    )
    assert created.status_code == 404
    assert carol("get", "/opportunities").json()["count"] == 0
    assert state() == before


@pytest.mark.parametrize("who", ["sam", "fiona", "adam"])
def test_support_finance_and_admin_are_refused_the_pipeline(company, api, who):
    o = opp(company)
    before = state()
    call = api(getattr(company, who))
    assert call("get", "/opportunities").status_code == 403
    assert call("get", "/forecast").status_code == 403
    assert call("post", f"/opportunities/{o.pk}/move", {"stage": "contact"}).status_code == 403
    assert state() == before


def test_the_head_sees_the_department_and_the_forecast_is_exact(company, api):
    opp(company, amount=Decimal("100000.01"), probability=33, expected_on=date(2026, 1, 31))
    opp(
        company,
        client=company.bob_client,
        amount=Decimal("10.00"),
        probability=5,
        expected_on=date(2026, 12, 31),
    )
    opp(company, client=company.carol_client)
    hannah = api(company.hannah)
    assert hannah("get", "/opportunities").json()["count"] == 2
    months = hannah("get", "/forecast", year=2026).json()
    assert months["labels"][0] == "01.2026"
    totals = {r["kam"]: Decimal(r["total"]) for r in months["rows"]}
    assert totals == {"Alice Test": Decimal("33000.0033"), "Bob Test": Decimal("0.5")}
    quarters = hannah("get", "/forecast", year=2026, period="quarter", kam=company.alice.pk).json()
    assert [Decimal(t) for t in quarters["totals"]] == [Decimal("33000.0033"), 0, 0, 0]
    assert Decimal(api(company.alice)("get", "/forecast", year=2026).json()["total"]) == Decimal("33000.0033")


def test_the_list_is_paginated(company, api):
    for i in range(3):
        opp(company, title=f"Deal {i}")
    page = api(company.diana)("get", "/opportunities", page_size=2, page=2).json()
    assert (page["count"], page["pages"], len(page["items"])) == (3, 2, 1)
