"""Bearer tokens on the JSON API: who gets in, who is refused, and how fast one may go."""

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient
from django.utils import timezone

from kam.access.models import ApiToken
from kam.clients.models import Client

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = {"message": "Authentication required: send a valid bearer token"}


def bearer(raw: str) -> HttpClient:
    return HttpClient(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def rate_limited(settings):
    settings.RATELIMIT_ENABLE = True
    settings.KAM_API_RATE = "3/m"
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    "url", ["/api/me", "/api/clients", "/api/competitors", "/api/clients/1/stakeholders"]
)
def test_it_refuses_requests_without_a_token(company, url):
    response = HttpClient().get(url)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == UNAUTHENTICATED


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer kam_wrong", "Token kam_x", "Basic YWxpY2U6eA==", "Bearer " + "x" * 500],
)
def test_it_refuses_malformed_or_unknown_tokens(company, header):
    response = HttpClient(headers={"Authorization": header}).get("/api/me")
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_a_valid_token_speaks_for_its_user(company):
    _token, raw = ApiToken.issue(company.alice, "laptop")
    me = bearer(raw).get("/api/me")
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert me.json()["role"] == "kam"
    assert me.json()["department"] == {"id": company.north.pk, "name": "Sales North"}


def test_a_revoked_token_is_refused(company):
    token, raw = ApiToken.issue(company.alice, "laptop")
    api = bearer(raw)
    assert api.get("/api/me").status_code == 200
    token.revoked_at = timezone.now()
    token.save()
    response = api.get("/api/me")
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_a_deactivated_users_token_is_refused(company):
    _token, raw = ApiToken.issue(company.alice, "laptop")
    company.alice.is_active = False
    company.alice.save()
    assert bearer(raw).get("/api/clients").status_code == 401


def test_a_write_without_a_valid_token_changes_nothing(company):
    token, raw = ApiToken.issue(company.alice, "laptop")
    token.revoked_at = timezone.now()
    token.save()
    before = list(Client.objects.order_by("pk").values_list())
    response = bearer(raw).patch(
        f"/api/clients/{company.alice_client.pk}", {"short_name": "Hacked"}, content_type="application/json"
    )
    assert response.status_code == 401
    created = bearer(raw).post(
        "/api/clients", {"short_name": "X", "legal_name": "X"}, content_type="application/json"
    )
    assert created.status_code == 401
    assert list(Client.objects.order_by("pk").values_list()) == before


def test_a_browser_session_is_not_enough_for_the_api(company, login):
    browser = login(company.alice)
    assert browser.get("/clients/").status_code == 200
    assert browser.get("/api/me").status_code == 401


def test_a_token_opens_only_the_api_not_the_pages(company):
    _token, raw = ApiToken.issue(company.alice, "laptop")
    page = bearer(raw).get("/clients/")
    assert page.status_code == 302
    assert "/login/" in page["Location"]


def test_a_token_in_the_query_string_is_not_accepted(company):
    _token, raw = ApiToken.issue(company.alice, "laptop")
    assert HttpClient().get("/api/me", {"token": raw, "access_token": raw}).status_code == 401


def test_using_a_token_records_when_it_was_last_used(company):
    token, raw = ApiToken.issue(company.alice, "laptop")
    assert token.last_used_at is None
    bearer(raw).get("/api/me")
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    ("who", "role", "rights"),
    [
        ("alice", "kam", ["clients.add_client", "clients.view_competitors", "clients.add_competitor"]),
        (
            "hannah",
            "head",
            [
                "clients.add_client",
                "clients.view_competitors",
                "clients.add_competitor",
                "access.manage_deputies",
            ],
        ),
        (
            "diana",
            "director",
            [
                "clients.add_client",
                "clients.view_competitors",
                "clients.add_competitor",
                "access.view_audit",
                "access.manage_deputies",
            ],
        ),
        ("sam", "support", []),
        ("fiona", "finance", []),
        ("adam", "none", ["access.manage_users"]),
    ],
)
def test_me_tells_each_role_what_it_may_do(company, who, role, rights):
    _token, raw = ApiToken.issue(getattr(company, who), "t")
    body = bearer(raw).get("/api/me").json()
    assert body["role"] == role
    assert body["rights"] == rights


def test_too_many_requests_get_a_json_429_per_user(company, rate_limited):
    _token, alice_raw = ApiToken.issue(company.alice, "laptop")
    _token, bob_raw = ApiToken.issue(company.bob, "laptop")
    alice = bearer(alice_raw)
    assert [alice.get("/api/me").status_code for _ in range(3)] == [200, 200, 200]
    limited = alice.get("/api/clients")
    assert limited.status_code == 429
    assert limited["Content-Type"].startswith("application/json")
    assert limited["Retry-After"] == "60"
    assert "Too many requests" in limited.json()["message"]
    assert bearer(bob_raw).get("/api/me").status_code == 200


def test_a_rate_limited_write_changes_nothing(company, rate_limited):
    _token, raw = ApiToken.issue(company.alice, "laptop")
    api = bearer(raw)
    for _ in range(3):
        api.get("/api/me")
    response = api.patch(
        f"/api/clients/{company.alice_client.pk}", {"short_name": "Late"}, content_type="application/json"
    )
    assert response.status_code == 429
    company.alice_client.refresh_from_db()
    assert company.alice_client.short_name == "Romashka"
