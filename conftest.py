import os

import pytest
from django.test import Client as HttpClient

from kam.core.testing import PASSWORD, Company, make_company

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture
def company(db: None) -> Company:
    return make_company()


@pytest.fixture
def login(client: HttpClient):
    """login(user) -> the test client, logged in as that user."""

    def _login(user) -> HttpClient:
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_test_settings(settings) -> None:
    settings.RATELIMIT_ENABLE = False
    # PBKDF2 at production strength costs ~0.3 s a user; personas are made for every test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
