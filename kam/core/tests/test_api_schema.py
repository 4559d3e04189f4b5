"""Property-based tests of the whole JSON API against its own OpenAPI schema (schemathesis, in-process).

The schema is read from /api/openapi.json of the Django WSGI application; every operation gets
generated valid and invalid requests as the director (who reaches every code path), judged by all of
schemathesis' checks but the two that judge business rules by the schema alone (see CHECKS). Nothing leaves
the process: no server, no network. Bounded and derandomised so it is quick and repeatable.
"""

import itertools
import re
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client as HttpClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as REGISTRY
from schemathesis.checks import load_all_checks

from config.wsgi import application
from kam.access.models import ApiToken
from kam.clients.models import ClientCompetitor, Competitor, Relationship, Stakeholder

pytestmark = pytest.mark.django_db

load_all_checks()
# Every check schemathesis has, but two that judge business rules by the schema alone:
# - positive_data_acceptance: a schema-valid body may still break a business rule (an INN's checksum,
#   a credit limit, a closed period) and is refused with 422 and a message, as it must be;
# - negative_data_rejection: pydantic (django-ninja) coerces "1" to 1 and "true" to True on purpose, so
#   some "wrong type" inputs are accepted with their plain meaning.
NOT_APPLICABLE = {"positive_data_acceptance", "negative_data_rejection"}
CHECKS = [check for check in REGISTRY.get_all() if check.__name__ not in NOT_APPLICABLE]
MAX_EXAMPLES = 12


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """The real WSGI handler closes "old" connections after each request, as Django's test client doesn't;
    on PostgreSQL that would drop the test's transaction, so switch it off as the test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def dossier(company) -> dict[str, list[int]]:
    """Real ids for the path parameters, so generated requests reach past the 404s."""
    client = company.alice_client
    boss = Stakeholder.objects.get(client=client)
    aide = Stakeholder.objects.create(client=client, full_name="Anna Aide")
    edge = Relationship.objects.create(client=client, source=aide, target=boss, kind="reports_to")
    acme = Competitor.objects.create(name="Acme")
    presence = ClientCompetitor.objects.create(client=client, competitor=acme, estimated_share=10)
    Competitor.objects.create(name="Beta")
    return {
        "client_id": [client.pk, company.bob_client.pk, company.carol_client.pk],
        "stakeholder_id": [boss.pk, aide.pk],
        "relationship_id": [edge.pk],
        "presence_id": [presence.pk],
        "source_id": [boss.pk, aide.pk],
        "target_id": [aide.pk, boss.pk],
        "competitor_id": list(Competitor.objects.values_list("pk", flat=True)),
        "owner_id": [company.alice.pk, company.bob.pk, company.carol.pk, company.sam.pk],
    }


@pytest.fixture
def director_token(company) -> str:
    _token, raw = ApiToken.issue(company.diana, "schemathesis")
    return raw


# Loaded when the module is collected: /api/openapi.json needs no token and no database.
# (schemathesis.pytest.from_fixture would defer this, but it breaks on pytest 9: no Node._nodeid.)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
_turn = itertools.count()


def _aim_at_real_objects(case: Any, ids: dict[str, list[int]]) -> None:
    """Every other case keeps its random ids (404s, 422s); the rest point at objects that exist."""
    if next(_turn) % 2:
        return
    meta = case._meta
    if meta is not None and meta.generation.mode.is_negative:
        return  # a negative case must stay as generated, or negative_data_rejection misjudges it
    for container in (case.path_parameters, case.body):
        if not isinstance(container, dict):
            continue
        for name, value in list(container.items()):
            if name in ids and isinstance(value, int) and not isinstance(value, bool):
                container[name] = ids[name][value % len(ids[name])]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says_and_never_with_a_5xx(case, director_token, dossier):
    _aim_at_real_objects(case, dossier)
    case.call_and_validate(headers={"Authorization": f"Bearer {director_token}"}, checks=CHECKS)


def test_the_schema_is_served_at_api_openapi_json_without_a_token(db):
    response = HttpClient().get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/clients" in document["paths"]
    assert "/api/me" in document["paths"]
    assert document["components"]["securitySchemes"]


def test_the_docs_page_loads_swagger_from_our_own_static_files_not_a_cdn(db):
    response = HttpClient().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    assert "/static/ninja/swagger-ui.css" in assets
    assert all(url.startswith("/static/") for url in assets), assets
    assert "http://" not in html and "https://" not in html
    for asset in assets:
        assert HttpClient().get(asset).status_code == 200
