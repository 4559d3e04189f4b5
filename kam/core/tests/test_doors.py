"""Every role × every door for another KAM's client: refused, nothing leaked, nothing changed.

The doors come from the URL resolver (kam/core/tests/doors.py): every page, tab, export, PDF and API
endpoint whose URL names a client, so a new app's doors are covered without editing this file. Next to
them: search and autocomplete (every list page and list API with the client's name as the query), and the
iCal feed.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse

from kam.access import policy
from kam.access.models import ApiToken, Role, User
from kam.core.testing import PASSWORD, Company
from kam.core.tests.doors import Door, arg_names, doors

pytestmark = pytest.mark.django_db

SECRET = "Secretnaya-7731"  # the other KAM's client's name: must never show through a refused door
DENIED = ["alice", "bob", "hannah", "adam", "root"]  # may not see carol's client (SPEC section 2)
REFUSED = {403, 404, 405}
# Writes with an empty body may be refused by the API's input check before the permission check (422, 400):
# that reveals nothing, and the row counts show nothing was written.
REFUSED_WRITE = REFUSED | {400, 422}
# Tables that a refused request may legitimately touch: the session, the lock-out's log, token last-use.
VOLATILE = {
    "django_session",
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
    "access_apitoken",
}


def tables() -> list[str]:
    names = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy})
    existing = set(connection.introspection.table_names())
    return [t for t in names if t in existing and t not in VOLATILE]


def row_counts(names: list[str]) -> dict[str, int]:
    qn = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {qn(t)})" for t in names)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(names, cursor.fetchone(), strict=True))


def contents(names: list[str]) -> dict[str, list[tuple]]:
    """Every row of every table, ordered: catches updates too (compared once per role's sweep)."""
    qn = connection.ops.quote_name
    out = {}
    with connection.cursor() as cursor:
        for t in names:
            cursor.execute(f"SELECT * FROM {qn(t)} ORDER BY 1")
            out[t] = [tuple(str(v) for v in row) for row in cursor.fetchall()]
    return out


@pytest.fixture
def secret(company: Company):
    client = company.carol_client
    client.short_name = SECRET
    client.legal_name = f'OOO "{SECRET}"'
    client.save()
    from kam.clients.models import Stakeholder

    Stakeholder.objects.create(
        client=client,
        full_name=f"{SECRET} Director",
        position="CEO",
        decision_role="decision_maker",
        influence=5,
    )
    User.objects.create_superuser("root", "root@example.com", PASSWORD, role=Role.NONE)
    return client


def persona(company: Company, name: str) -> User:
    return getattr(company, name, None) or User.objects.get(username=name)


def client_doors(client_id: int) -> list[Door]:
    from kam.clients.dossier import TABS

    return doors(client_id, list(TABS))


def body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def check(response, door: str, allowed: set[int]) -> list[str]:
    problems = []
    if response.status_code not in allowed:
        problems.append(f"{door}: status {response.status_code}")
    if SECRET in body(response):
        problems.append(f"{door}: the client's name leaked")
    return problems


def test_the_denied_roles_are_exactly_those_spec_section_2_names(company, secret):
    everyone = [*company.everyone(), User.objects.get(username="root")]
    denied = {u.username for u in everyone if not policy.visible_clients(u).filter(pk=secret.pk).exists()}
    assert denied == set(DENIED)


def test_the_door_list_covers_every_app(company, secret):
    found = client_doors(secret.pk)
    prefixes = {d.route.split("/")[0] for d in found}
    assert {"clients", "api"} <= prefixes
    assert any(d.is_api for d in found) and any("export" in d.route or "fmt" in d.route for d in found)
    assert len(found) > 40


@pytest.mark.parametrize("who", DENIED)
def test_every_door_refuses_another_kams_client(company, secret, who):
    user = persona(company, who)
    names = tables()
    pages = HttpClient(raise_request_exception=False)
    assert pages.login(username=user.username, password=PASSWORD)  # (sets last_login: before the snapshot)
    _token, raw = ApiToken.issue(user, "doors")
    api = HttpClient(raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"})
    before_all = contents(names)
    problems: list[str] = []
    for door in client_doors(secret.pk):
        if door.is_api:
            for method in ("get", "post", "put", "patch", "delete"):
                before = row_counts(names)
                response = getattr(api, method)(door.url, data={}, content_type="application/json")
                allowed = REFUSED if method == "get" else REFUSED_WRITE
                problems += check(response, f"{method.upper()} {door.url}", allowed)
                if row_counts(names) != before:
                    problems.append(f"{method.upper()} {door.url}: rows changed")
        else:
            for method in ("get", "post"):
                before = row_counts(names)
                response = getattr(pages, method)(door.url)
                problems += check(response, f"{method.upper()} {door.url}", REFUSED)
                if row_counts(names) != before:
                    problems.append(f"{method.upper()} {door.url}: rows changed")
    after_all = contents(names)
    changed = [t for t in names if before_all[t] != after_all[t]]
    assert not problems, "\n".join(problems)
    assert not changed, changed


def test_the_owner_gets_in_through_the_same_doors(company, secret):
    """The control: the same URLs open for carol, and her pages name the client (so the checks can fail)."""
    browser = HttpClient(raise_request_exception=False)
    assert browser.login(username="carol", password=PASSWORD)
    opened = [
        d.url for d in client_doors(secret.pk) if not d.is_api and browser.get(d.url).status_code == 200
    ]
    assert len(opened) > 10, opened
    assert SECRET in browser.get(reverse("clients:dossier", args=[secret.pk])).content.decode()
    assert SECRET in browser.get(reverse("clients:pick"), {"q": SECRET[:10]}).content.decode()
    assert SECRET in browser.get(reverse("clients:list"), {"q": SECRET[:10]}).content.decode()
    export = browser.get(reverse("clients:export", args=["csv"]), {"q": SECRET[:10]})
    assert SECRET in body(export)


@pytest.mark.parametrize("who", ["alice", "hannah", "root"])
def test_search_and_autocomplete_do_not_find_another_kams_client(company, secret, who):
    """Every list page and list API, and the client picker, asked for the client by name."""
    user = persona(company, who)
    pages = HttpClient(raise_request_exception=False)
    assert pages.login(username=user.username, password=PASSWORD)
    _token, raw = ApiToken.issue(user, "search")
    api = HttpClient(raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"})
    problems: list[str] = []
    every = doors(secret.pk, [], only_client_doors=False)
    # Every list page, list API and export (the only argument a format): asked for the client by name.
    searchable = [d for d in every if set(arg_names(d.route)) <= {"fmt"}]
    assert any("export" in d.url for d in searchable)
    searchable.append(Door("clients/pick/", reverse("clients:pick"), "clients:pick", False))
    for door in searchable:
        query = {"q": SECRET[:10], "search": SECRET[:10], "term": SECRET[:10]}
        response = (api if door.is_api else pages).get(door.url, query)
        if SECRET in body(response):
            problems.append(f"{door.url}?q=: the client's name leaked")
    assert not problems, "\n".join(problems)


def test_the_calendar_feed_holds_only_ones_own_clients(company, secret):
    """The iCal feed of a KAM without access does not name the other KAM's client; carol's does."""
    from datetime import timedelta

    from django.utils import timezone

    from kam.activities import services as activity_services
    from kam.activities.models import Activity

    start = timezone.now() + timedelta(days=1)
    Activity.objects.create(
        client=secret,
        owner=company.carol,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        goal=f"Visit {SECRET}",
        place=SECRET,
    )
    for user, visible in ((company.alice, False), (company.hannah, False), (company.carol, True)):
        _token, raw = activity_services.feed_token_issue(user=user)
        response = HttpClient().get(reverse("activities:feed", args=[raw]))
        assert response.status_code == 200
        assert (SECRET in response.content.decode()) is visible, user
