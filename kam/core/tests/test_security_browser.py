"""The Content-Security-Policy in a real browser: nothing on the main pages is blocked, and a confirmation
that used to be an inline handler still asks (kam/static/kam/kam.js), and still stops the form on "Cancel"."""

import pytest
from django.urls import reverse

from conftest import screenshot
from kam.access.models import ApiToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csp_violations(page) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    return messages


def test_the_main_pages_run_under_the_policy_without_violations(live_company, page_as, live_server):
    page = page_as(live_company.diana)
    violations = csp_violations(page)
    for name, args in [
        ("home", []),
        ("clients:list", []),
        ("clients:dossier", [live_company.alice_client.pk]),
        ("pipeline:board", []),
        ("orders:list", []),
        ("activities:week", []),
        ("access:profile", []),
    ]:
        response = page.goto(live_server.url + reverse(name, args=args))
        assert response is not None and response.ok, name
        assert "content-security-policy" in response.headers
        page.wait_for_load_state("networkidle")
        # htmx loaded from our own static files and running:
        assert page.evaluate("typeof window.htmx") == "object", name
    assert not violations, violations


def test_a_confirmation_still_asks_and_cancel_keeps_the_token(live_company, page_as, live_server):
    token, _raw = ApiToken.issue(live_company.alice, "laptop")
    page = page_as(live_company.alice)
    violations = csp_violations(page)
    page.goto(live_server.url + reverse("access:profile"))
    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button:has-text('Revoke')")
    page.wait_for_timeout(300)
    assert asked and "Revoke this token?" in asked[0]
    token.refresh_from_db()
    assert token.revoked_at is None  # "Cancel" stopped the form

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Revoke')")
    page.wait_for_selector("text=Token revoked.")
    token.refresh_from_db()
    assert token.revoked_at is not None
    screenshot(page, "token-revoked-under-csp")
    assert not violations, violations
