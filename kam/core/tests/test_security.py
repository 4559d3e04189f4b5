"""Deployment checks, security headers, the Content-Security-Policy, CSRF on every form, sessions."""

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from kam.core.tests.doors import doors

BASE = Path(django_settings.BASE_DIR)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # A clean environment, as a server would have: none of the test run's KAM_* or DJANGO_* variables.
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    full_env = {k: os.environ[k] for k in keep if k in os.environ}
    full_env.update({"DATABASE_URL": "", **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "KAM_ENV": "production",
    "KAM_SECRET_KEY": secrets.token_urlsafe(60),
    "KAM_ALLOWED_HOSTS": "kam.example.com",
}


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    env = dict(PRODUCTION)
    del env["KAM_SECRET_KEY"]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "KAM_SECRET_KEY" in result.stderr


def test_development_settings_show_what_deploy_would_warn_about():
    """Local defaults are not production: check --deploy names the gaps."""
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS


@pytest.mark.django_db
def test_security_headers_on_every_page(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert (
        "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    )
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"


@pytest.mark.django_db
def test_https_settings_in_production(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_SSL_REDIRECT = True
    plain = client.get(reverse("login"))
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert client.get(reverse("health")).status_code == 200  # the load balancer's probe stays on HTTP
    secure = client.get(reverse("login"), secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_cookies_are_http_only_and_sessions_expire():
    assert django_settings.SESSION_COOKIE_HTTPONLY
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert 0 < django_settings.SESSION_COOKIE_AGE <= 24 * 3600


@pytest.mark.django_db
def test_the_session_cookie_dies_with_the_browser(company, client):
    from kam.core.testing import PASSWORD

    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie
    assert cookie["httponly"]


@pytest.mark.django_db
def test_an_expired_session_must_log_in_again(company, login):
    browser = login(company.alice)
    assert browser.get(reverse("home")).status_code == 200
    key = browser.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    # The cached copy (SESSION_ENGINE cached_db) is stored with the session's own lifetime and goes
    # at the same moment; here the database row is aged by hand, so the cached copy goes by hand.
    cache.delete(cached_db.KEY_PREFIX + key)
    response = browser.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_session_lives_no_longer_than_the_setting(company, login):
    browser = login(company.alice)
    browser.get(reverse("home"))
    session = Session.objects.get(session_key=browser.session.session_key)
    left = session.expire_date - timezone.now()
    assert left <= timedelta(seconds=django_settings.SESSION_COOKIE_AGE + 5)


# --- Content-Security-Policy: no inline script may need 'unsafe-inline' ---------------------------------

TEMPLATE_DIRS = sorted({p.parent for p in BASE.glob("kam/**/templates")})


def templates() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))


def test_inline_scripts_carry_the_nonce():
    offenders = []
    for path in templates():
        for tag in re.findall(r"<script\b[^>]*>", path.read_text()):
            if "src=" not in tag and "csp_nonce" not in tag:
                offenders.append(f"{path.relative_to(BASE)}: {tag}")
    assert not offenders, 'inline <script> without nonce="{{ request.csp_nonce }}": ' + ", ".join(offenders)


def test_no_template_has_inline_event_handlers():
    """The CSP blocks on*="" handlers (and Chrome reports each one): use kam.js' data-confirm,
    data-autosubmit or data-select-on-click instead."""
    offenders = []
    for path in templates():
        text = path.read_text()
        for name in re.findall(r"""\s(on[a-z]+)=["']""", text):
            offenders.append(f"{path.relative_to(BASE)}: {name}")
        assert "javascript:" not in text, path
    assert not offenders, "inline handlers the CSP blocks: " + "; ".join(offenders)


@pytest.mark.django_db
def test_the_inline_script_nonce_matches_the_header(company, login):
    page = login(company.alice).get(reverse("pipeline:board"))
    assert page.status_code == 200
    found = re.search(r'<script nonce="([^"]+)"', page.content.decode())
    assert found, "the board's inline script has no nonce"
    nonce = found.group(1)
    assert f"'nonce-{nonce}'" in page["Content-Security-Policy"]


# --- CSRF: every POST form carries the token ------------------------------------------------------------


def post_forms_without_token(html: str) -> list[str]:
    missing = []
    for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S | re.I):
        head = form[: form.index(">") + 1]
        if re.search(r"""method=["']?post""", head, flags=re.I) and "csrfmiddlewaretoken" not in form:
            missing.append(head)
    return missing


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["diana", "alice"])
def test_every_post_form_carries_the_csrf_token(company, login, who):
    """Every page without arguments, and every page of one client (all dossier tabs), for each role."""
    from kam.clients.dossier import TABS

    browser = login(getattr(company, who))
    browser.raise_request_exception = False  # a page that crashes is other tests' business, not CSRF's
    everything = doors(company.alice_client.pk, list(TABS), only_client_doors=False)
    pages_to_try = [
        d.url for d in everything if not d.is_api and ("client_id" in d.route or "<" not in d.route)
    ]
    assert len(pages_to_try) > 40, pages_to_try
    problems = []
    pages = 0
    for url in pages_to_try:
        response = browser.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        pages += 1
        for head in post_forms_without_token(response.content.decode()):
            problems.append(f"{url}: {head}")
    assert pages > 5
    assert not problems, problems


@pytest.mark.django_db
def test_a_post_without_the_token_is_refused(company):
    from django.test import Client as HttpClient

    from kam.core.testing import PASSWORD

    strict = HttpClient(enforce_csrf_checks=True)
    assert strict.login(username="alice", password=PASSWORD)
    before = company.alice.api_tokens.count()
    response = strict.post(reverse("access:profile"), {"name": "sneaky"})
    assert response.status_code == 403
    assert company.alice.api_tokens.count() == before
