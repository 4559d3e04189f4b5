"""The contracts and claims API: the pages' access rules; another KAM's records are refused and unchanged."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kam.access.models import ApiToken
from kam.contracts.models import Claim, Contract

from .helpers import claim, clause, contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def as_user(user):
        _token, raw = ApiToken.issue(user, "test")

        def call(method, path, payload=None):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
            if payload is not None:
                kwargs.update(data=payload, content_type="application/json")
            return getattr(client, method)(f"/api/contracts{path}", **kwargs)

        return call

    return as_user


def snapshot():
    return (
        list(Contract.objects.values_list("pk", "number", "status")),
        list(Claim.objects.values_list("pk", "subject", "status", "resolution", "assigned_to_id")),
    )


def test_a_kam_lists_and_reads_contracts_with_their_clauses(company, api):
    today = timezone.localdate()
    mine = contract(company.alice, company.alice_client, number="A-1")
    clause(company.alice, mine, due_on=today - timedelta(days=1), text="Quarterly report")
    contract(company.bob, company.bob_client, number="B-1")
    alice = api(company.alice)
    listed = alice("get", "")
    assert listed.status_code == 200
    body = listed.json()
    assert (
        body["count"] == 1 and body["items"][0]["number"] == "A-1" and body["items"][0]["open_clauses"] == 1
    )
    assert body["items"][0]["client"] == "Romashka"
    one = alice("get", f"/{mine.pk}").json()
    assert one["clauses"][0]["text"] == "Quarterly report" and one["clauses"][0]["obligation_of"] == "us"
    assert alice("get", "?status=draft").json()["count"] == 0
    assert alice("get", "?q=A-").json()["count"] == 1
    assert api(company.hannah)("get", "").json()["count"] == 2
    assert api(company.hugo)("get", "").json()["count"] == 0
    assert api(company.diana)("get", "?page_size=1").json()["pages"] == 2


def test_a_kam_registers_updates_and_resolves_a_claim(company, api):
    alice = api(company.alice)
    created = alice(
        "post",
        "/claims",
        {"client_id": company.alice_client.pk, "kind": "complaint", "subject": "Late delivery"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["assigned_to_id"] == company.alice.pk and body["status"] == "open"
    assert body["registered_on"] == timezone.localdate().isoformat()
    claim_id = body["id"]
    refused = alice("patch", f"/claims/{claim_id}", {"status": "resolved"})
    assert refused.status_code == 422 and "resolution" in refused.json()["errors"]
    done = alice("patch", f"/claims/{claim_id}", {"status": "resolved", "resolution": "Credit note issued"})
    assert done.status_code == 200 and done.json()["resolved_on"] == timezone.localdate().isoformat()
    listed = alice("get", "/claims?status=open_any").json()
    assert listed["count"] == 0
    assert alice("get", "/claims").json()["items"][0]["subject"] == "Late delivery"
    assert alice("get", f"/claims/{claim_id}").json()["resolution"] == "Credit note issued"


def test_another_kams_contracts_and_claims_are_refused_and_unchanged(company, api):
    theirs = contract(company.bob, company.bob_client, number="B-1")
    their_claim = claim(company.bob, company.bob_client)
    before = snapshot()
    carol = api(company.carol)
    assert carol("get", f"/{theirs.pk}").status_code == 404
    assert carol("get", f"/claims/{their_claim.pk}").status_code == 404
    assert carol("patch", f"/claims/{their_claim.pk}", {"subject": "Hijacked"}).status_code == 404
    created = carol("post", "/claims", {"client_id": company.bob_client.pk, "subject": "Mine"})
    assert created.status_code == 404
    assert carol("get", "").json()["count"] == 0 and carol("get", "/claims").json()["count"] == 0
    for outsider in (company.sam, company.fiona, company.adam):
        assert api(outsider)("get", "").status_code == 403
        assert api(outsider)("get", "/claims").status_code == 403
        assert (
            api(outsider)(
                "post", "/claims", {"client_id": company.alice_client.pk, "subject": "x"}
            ).status_code
            == 403
        )
    assert snapshot() == before


def test_bad_claim_input_is_a_422(company, api):
    alice = api(company.alice)
    base = {"client_id": company.alice_client.pk, "subject": "Broken"}
    assert alice("post", "/claims", {**base, "assigned_to_id": 999999}).status_code == 422
    assert alice("post", "/claims", {**base, "assigned_to_id": company.adam.pk}).status_code == 422
    assert (
        alice(
            "post", "/claims", {**base, "registered_on": "2026-05-10", "deadline": "2026-05-01"}
        ).status_code
        == 422
    )
    assert alice("post", "/claims", {**base, "unknown": 1}).status_code == 422
    assert not Claim.objects.exists()
