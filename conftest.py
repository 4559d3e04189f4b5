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
    settings.KAM_TASKS_INLINE = True
    # PBKDF2 at production strength costs ~0.3 s a user; personas are made for every test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: a rolled-back test must not leave ledger figures behind
    (SQLite reuses row ids after a rollback, so the ledger version alone cannot tell them apart)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request that switched the language (LocaleMiddleware) leaves it active in the thread: reset it,
    so a test that runs next does not read Russian where it expects the default language."""
    yield
    from django.utils import translation

    translation.deactivate()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = os.path.join(os.path.dirname(__file__), "test-artifacts")


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium driven by Playwright; never a downloaded browser."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/ensure-services.sh` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def live_company(transactional_db) -> Company:
    """The personas, committed so the live server's thread sees them."""
    return make_company()


@pytest.fixture
def page_as(chromium, live_server):
    """page_as(user, lang="en") -> a Playwright page logged in through the real login form."""
    contexts = []

    def _page_as(user, lang: str = "en"):
        context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale=lang)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/login/")
        if lang != "en":
            page.click(f"button[name=language][value={lang}]")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.stacked button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    yield _page_as
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> str:
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    return path
