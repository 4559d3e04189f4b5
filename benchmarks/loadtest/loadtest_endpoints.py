"""The pages and API calls of the load test, in one place and without locust.

locustfile.py builds its tasks from these; test_locustfile.py checks that every path resolves to the
view it names, so renaming a URL breaks a fast test instead of the next load test. Plain module: importing
locust would monkey-patch the test process with gevent.

`{client}` is a client the simulated user may see, `{tab}` a dossier tab, `{q}` a search fragment.
`name` groups the requests in locust's statistics; `view` is the URL name the path must resolve to.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    name: str  # the row in the statistics
    path: str  # a template: {client}, {tab}, {q}
    view: str  # the URL name (namespace:name) the path resolves to
    weight: int = 1
    api: bool = False  # bearer token instead of the session


# Dossier tabs worth loading (the others are registered by apps, too; all are checked to exist).
DOSSIER_TABS = (
    "financials",
    "stakeholders",
    "map",
    "competitors",
    "activities",
    "opportunities",
    "contracts",
    "health",
    "keyness",
)

KAM = (
    Endpoint("today page /", "/", "home", 3),
    Endpoint("clients list", "/clients/", "clients:list", 3),
    Endpoint("clients search ?q=", "/clients/?q={q}", "clients:list", 3),
    Endpoint("dossier /clients/[id]/", "/clients/{client}/", "clients:dossier", 4),
    Endpoint("dossier tab /clients/[id]/[tab]/", "/clients/{client}/{tab}/", "clients:dossier_tab", 4),
    Endpoint("week schedule /schedule/", "/schedule/", "activities:week", 2),
    Endpoint("orders list /orders/", "/orders/", "orders:list", 2),
    Endpoint("pipeline board /pipeline/", "/pipeline/", "pipeline:board", 2),
    Endpoint("client receivables", "/receivables/clients/{client}/", "receivables:client", 1),
)
HEAD = (
    Endpoint("dashboard / (head)", "/", "home", 2),
    Endpoint("key-accounts report /analysis/", "/analysis/", "analytics:key_accounts", 3),
    Endpoint("plans /plans/", "/plans/", "planning:plans", 2),
    Endpoint("clients list (head)", "/clients/", "clients:list", 1),
    Endpoint("dossier /clients/[id]/", "/clients/{client}/", "clients:dossier", 1),
)
DIRECTOR = (
    Endpoint("dashboard / (director)", "/", "home", 1),
    Endpoint(
        "concentration /analysis/concentration/", "/analysis/concentration/", "analytics:concentration", 2
    ),
    Endpoint("receivables aging /receivables/", "/receivables/", "receivables:aging", 2),
    Endpoint("key-accounts report /analysis/", "/analysis/", "analytics:key_accounts", 1),
)
API = (
    Endpoint("API /api/clients", "/api/clients?page_size=50", "api:list_clients", 3, api=True),
    Endpoint("API /api/clients?q=", "/api/clients?q={q}", "api:list_clients", 1, api=True),
    Endpoint("API /api/clients/[id]", "/api/clients/{client}", "api:get_client", 4, api=True),
    Endpoint("API /api/orders", "/api/orders", "api:order_list", 2, api=True),
)
ROLES = {"kam": KAM, "head": HEAD, "director": DIRECTOR, "api": API}

LOGIN = Endpoint("login (once per user)", "/login/", "login")
# The login is done once per simulated user and hashes a password on purpose (PBKDF2): it is shown in
# the table but not judged against the page budget.
NOT_JUDGED = (LOGIN.name,)


def fill(endpoint: Endpoint, *, client: int, tab: str = "overview", q: str = "") -> str:
    return endpoint.path.format(client=client, tab=tab, q=q)


def all_endpoints() -> list[Endpoint]:
    return [LOGIN, *(e for endpoints in ROLES.values() for e in endpoints)]
