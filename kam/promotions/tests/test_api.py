from datetime import date

from kam.access.models import ApiToken
from kam.promotions import services

from .helpers import promotion, sale


def _get(client, user, path, **params):
    _token, raw = ApiToken.issue(user, "test")
    return client.get(f"/api/promotions{path}", params, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_lists_programmes_and_gives_their_effect(company, client):
    p = promotion(company.diana, starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 31))
    services.participants_add(actor=company.diana, promotion_id=p.pk, clients=[company.alice_client])
    sale(company.alice_client, date(2025, 2, 1), 100_000)
    sale(company.alice_client, date(2025, 3, 1), 150_000)
    sale(company.bob_client, date(2025, 2, 1), 100_000)
    sale(company.bob_client, date(2025, 3, 1), 110_000)
    listing = _get(client, company.diana, "", sort="name").json()
    assert listing["count"] == 1 and listing["items"][0]["participants"] == 1
    effect = _get(client, company.diana, f"/{p.pk}/effect").json()
    assert effect["months"] == 1 and effect["before_from"] == "2025-02-01"
    assert effect["participants"]["turnover_during"] == 150_000 and effect["control"]["clients"] == 1
    # +50 000 against +10 000 per client.
    assert effect["turnover"]["did_per_client"] == "40000"
    assert _get(client, company.carol, f"/{p.pk}").status_code == 404
    assert _get(client, company.sam, "").status_code == 403
    assert _get(client, company.diana, "", status="bogus").status_code == 422
