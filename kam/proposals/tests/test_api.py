"""The JSON API at /api/proposals: the pages' rules and services."""

from decimal import Decimal

import pytest

from kam.access.models import ApiToken
from kam.proposals.models import Proposal, ProposalLine, ProposalVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def _api(user):
        _token, raw = ApiToken.issue(user, "test")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        class Api:
            def get(self, url):
                return client.get(url, **headers)

            def post(self, url, data=None):
                return client.post(url, data or {}, content_type="application/json", **headers)

        return Api()

    return _api


def test_a_kam_makes_sends_and_accepts_a_proposal_by_api(company, catalogue, template, api):
    alice = api(company.alice)
    response = alice.post(
        "/api/proposals", {"client_id": company.alice_client.pk, "template_id": template.pk}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    pk = body["id"]
    assert body["number"].startswith("КП-") and body["current"]["payment_terms"] == "Отсрочка 30 дней"
    response = alice.post(
        f"/api/proposals/{pk}/lines", {"product_code": "CEM-500", "quantity": "3", "discount": "2.5"}
    )
    assert response.status_code == 201
    assert response.json()["total"] == "1462.50"
    assert alice.post(
        f"/api/proposals/{pk}/lines", {"product_code": "NOPE", "quantity": "1"}
    ).status_code in (400, 422)
    assert alice.post(f"/api/proposals/{pk}/send").json()["status"] == "sent"
    # A line added to a sent proposal goes into version 2.
    body = alice.post(f"/api/proposals/{pk}/lines", {"product_code": "BRK-1", "quantity": "10"}).json()
    assert body["version"] == 2 and body["versions"] == [1, 2] and body["status"] == "draft"
    alice.post(f"/api/proposals/{pk}/send")
    assert alice.post(f"/api/proposals/{pk}/reject", {"reason": ""}).status_code == 422
    body = alice.post(f"/api/proposals/{pk}/accept").json()
    assert body["status"] == "accepted" and body["order_id"]
    listed = alice.get("/api/proposals?status=accepted").json()
    assert [p["id"] for p in listed["items"]] == [pk]


def test_another_kams_client_is_refused_by_api_and_nothing_changes(company, catalogue, api):
    from kam.proposals import services

    proposal = services.proposal_create(client=company.carol_client, actor=company.carol)
    services.proposal_line_add(
        proposal_id=proposal.pk, actor=company.carol, product=catalogue.cement, quantity=Decimal(1)
    )
    before = (Proposal.objects.count(), ProposalVersion.objects.count(), ProposalLine.objects.count())
    alice = api(company.alice)
    assert alice.get(f"/api/proposals/{proposal.pk}").status_code == 404
    assert alice.post(f"/api/proposals/{proposal.pk}/send").status_code == 404
    assert (
        alice.post(
            f"/api/proposals/{proposal.pk}/lines", {"product_code": "BRK-1", "quantity": "1"}
        ).status_code
        == 404
    )
    assert alice.post("/api/proposals", {"client_id": company.carol_client.pk}).status_code == 404
    assert alice.get("/api/proposals").json()["count"] == 0
    support = api(company.sam)
    assert support.get(f"/api/proposals/{proposal.pk}").status_code == 200
    assert support.post(f"/api/proposals/{proposal.pk}/send").status_code == 403
    assert support.post("/api/proposals", {"client_id": company.carol_client.pk}).status_code == 403
    assert api(company.fiona).get("/api/proposals").status_code == 403
    assert (Proposal.objects.count(), ProposalVersion.objects.count(), ProposalLine.objects.count()) == before
    proposal.refresh_from_db()
    assert proposal.status == "draft"
