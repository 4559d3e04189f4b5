"""Login lock-out (django-axes): after N wrong passwords the pair user name + address is locked out."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

from kam.core.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings) -> int:
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 0.25  # 15 minutes
    return 3


def fail(client, username="alice", ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": "nope"}, REMOTE_ADDR=ip)


def test_wrong_passwords_lock_the_account_out_with_a_clear_message(company, client, limit):
    for _ in range(limit - 1):
        assert fail(client).status_code == 200
    locked = fail(client)
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "locked on this computer for 15 minutes" in text
    assert 'name="username"' in text  # still the login page, not a bare error
    # Even the right password is refused while locked out.
    right = client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_out_is_per_user_and_address(company, client, limit):
    for _ in range(limit):
        fail(client)
    # Another address, or another user from the same address, may still log in.
    other_ip = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert other_ip.status_code == 302
    client.post(reverse("logout"))
    other_user = client.post(
        reverse("login"), {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert other_user.status_code == 302


def test_a_successful_login_resets_the_count(company, client, limit):
    for _ in range(limit - 1):
        fail(client)
    ok = client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert ok.status_code == 302
    client.post(reverse("logout"))
    for _ in range(limit - 1):
        assert fail(client).status_code == 200  # counting starts again


def test_an_administrator_unlocks_a_user(company, client, limit):
    for _ in range(limit):
        fail(client)
    assert AccessAttempt.objects.filter(username="alice").exists()
    call_command("axes_reset_username", "alice")
    ok = client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert ok.status_code == 302


def test_the_rate_limit_still_stands_in_front(company, client, settings):
    """The per-address rate limit (20/minute) answers before axes sees the attempt."""
    from django.core.cache import cache

    settings.RATELIMIT_ENABLE = True
    settings.AXES_FAILURE_LIMIT = 1000
    cache.clear()
    for _ in range(20):
        fail(client, username="nobody")
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert "Too many login attempts" in response.content.decode()
    cache.clear()


def test_logins_without_a_request_are_not_counted(company):
    """Management commands and scripts authenticate without a request; the lock-out ignores them."""
    from django.contrib.auth import authenticate

    assert authenticate(username="alice", password=PASSWORD) == company.alice
    assert authenticate(username="alice", password="nope") is None
