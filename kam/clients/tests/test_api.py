"""The clients JSON API: every role reads and changes through it exactly what the pages allow."""

from decimal import Decimal
from typing import Any

import pytest
import rules
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from rules.permissions import permissions

from kam.access.models import ApiToken, Role
from kam.clients import selectors
from kam.clients.models import (
    Client,
    ClientCompetitor,
    ClientStatus,
    Competitor,
    FinancialIndicator,
    Relationship,
    Segment,
    Stakeholder,
    Tag,
)
from kam.core.testing import INNS, make_client

pytestmark = pytest.mark.django_db

ROLES = ["alice", "bob", "carol", "hannah", "hugo", "diana", "sam", "fiona", "adam"]


class Api:
    """A JSON client speaking for one user through a bearer token."""

    def __init__(self, raw: str) -> None:
        self.http = HttpClient(headers={"Authorization": f"Bearer {raw}"})

    def get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return self.http.get(url, params or {})

    def post(self, url: str, body: Any) -> Any:
        return self.http.post(url, body, content_type="application/json")

    def patch(self, url: str, body: Any) -> Any:
        return self.http.patch(url, body, content_type="application/json")

    def put(self, url: str, body: Any) -> Any:
        return self.http.put(url, body, content_type="application/json")

    def delete(self, url: str) -> Any:
        return self.http.delete(url)


@pytest.fixture
def api_as(company):
    def _api_as(user) -> Api:
        _token, raw = ApiToken.issue(user, "test")
        return Api(raw)

    return _api_as


def snapshot() -> list[tuple]:
    """Everything the clients API can write, to prove a refusal changed nothing."""
    return [
        tuple(Client.objects.order_by("pk").values_list()),
        tuple(Stakeholder.objects.order_by("pk").values_list()),
        tuple(Relationship.objects.order_by("pk").values_list()),
        tuple(Competitor.objects.order_by("pk").values_list()),
        tuple(ClientCompetitor.objects.order_by("pk").values_list()),
        tuple(FinancialIndicator.objects.order_by("pk").values_list()),
        tuple(Client.tags.through.objects.order_by("pk").values_list()),
        tuple(Tag.objects.order_by("pk").values_list()),
    ]


def changes() -> int:
    """Changes written to the audit log, but for the API token the test issues to make its call."""
    token = ContentType.objects.get_for_model(ApiToken)
    return LogEntry.objects.exclude(action=LogEntry.Action.ACCESS).exclude(content_type=token).count()


def names(response) -> set[str]:
    return {item["short_name"] for item in response.json()["items"]}


# ---------------------------------------------------------------- reading


VISIBLE = {
    "alice": {"Romashka"},
    "bob": {"Vasilek"},
    "carol": {"Lyutik"},
    "hannah": {"Romashka", "Vasilek"},
    "hugo": {"Lyutik"},
    "diana": {"Romashka", "Vasilek", "Lyutik"},
    "sam": {"Romashka", "Vasilek", "Lyutik"},
    "fiona": {"Romashka", "Vasilek", "Lyutik"},
    "adam": set(),
}


@pytest.mark.parametrize("who", ROLES)
def test_each_role_lists_exactly_the_clients_it_sees_on_the_pages(company, api_as, who):
    response = api_as(getattr(company, who)).get("/api/clients")
    assert response.status_code == 200
    assert names(response) == VISIBLE[who]
    assert response.json()["count"] == len(VISIBLE[who])


# who -> (status of GET alice's client, dossier included)
READ_ALICE_CLIENT = {
    "alice": (200, True),
    "bob": (404, False),
    "carol": (404, False),
    "hannah": (200, True),
    "hugo": (404, False),
    "diana": (200, True),
    "sam": (200, False),
    "fiona": (200, False),
    "adam": (404, False),
}


@pytest.mark.parametrize("who", ROLES)
def test_each_role_reads_a_client_as_the_dossier_page_allows(company, api_as, who):
    expected_status, with_dossier = READ_ALICE_CLIENT[who]
    response = api_as(getattr(company, who)).get(f"/api/clients/{company.alice_client.pk}")
    assert response.status_code == expected_status
    body = response.json()
    if expected_status == 404:
        assert body == {"message": "Not found"}
        return
    assert body["tax_number"] == company.alice_client.tax_number
    assert body["credit_limit"] == "1000000.00"
    assert body["payment_terms_days"] == 30
    assert (body["dossier"] is not None) is with_dossier
    assert body["rights"]["view_dossier"] is with_dossier


def test_a_client_that_does_not_exist_is_the_same_404_as_one_you_may_not_see(company, api_as):
    api = api_as(company.alice)
    hidden = api.get(f"/api/clients/{company.carol_client.pk}")
    missing = api.get("/api/clients/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_reading_a_dossier_through_the_api_is_recorded_with_the_api_door(company, api_as):
    api_as(company.alice).get(f"/api/clients/{company.alice_client.pk}", {}).json()
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert entry.actor == company.alice
    assert entry.object_pk == str(company.alice_client.pk)
    assert entry.additional_data == {"kind": "view", "what": "client", "door": "api"}


def test_reading_requisites_only_is_not_a_dossier_read(company, api_as):
    api_as(company.sam).get(f"/api/clients/{company.alice_client.pk}")
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


@pytest.mark.parametrize("what", ["stakeholders", "relationships", "competitors", "financials"])
def test_each_dossier_part_read_is_recorded(company, api_as, what):
    response = api_as(company.hannah).get(f"/api/clients/{company.alice_client.pk}/{what}")
    assert response.status_code == 200
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert entry.actor == company.hannah
    assert entry.additional_data["what"] == what
    assert entry.additional_data["door"] == "api"


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("what", ["stakeholders", "relationships", "competitors", "financials"])
def test_dossier_parts_are_refused_to_those_without_the_dossier(company, api_as, who, what):
    _status, with_dossier = READ_ALICE_CLIENT[who]
    response = api_as(getattr(company, who)).get(f"/api/clients/{company.alice_client.pk}/{what}")
    assert response.status_code == (200 if with_dossier else 404)
    if not with_dossier:
        assert response.json() == {"message": "Not found"}
        assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_stakeholders_come_with_private_notes_for_those_who_may_see_them(company, api_as):
    people = api_as(company.alice).get(f"/api/clients/{company.alice_client.pk}/stakeholders").json()
    assert people[0]["full_name"] == "Ivan Petrov"
    assert people[0]["private_notes"] == "Prefers morning meetings; sensitive"


@pytest.fixture
def no_sensitive_rights():
    """A policy where the dossier is readable but sensitive fields are not (as for a future role)."""
    original = permissions["clients.view_sensitive"]
    rules.set_perm("clients.view_sensitive", rules.always_deny)
    yield
    rules.set_perm("clients.view_sensitive", original)


def test_private_notes_are_null_for_those_who_may_not_see_sensitive_fields(
    company, api_as, no_sensitive_rights
):
    api = api_as(company.hannah)
    people = api.get(f"/api/clients/{company.alice_client.pk}/stakeholders").json()
    assert people[0]["private_notes"] is None
    assert "sensitive" not in str(people)
    assert api.get(f"/api/clients/{company.alice_client.pk}").json()["rights"]["view_sensitive"] is False


def test_one_may_not_write_private_notes_one_may_not_read(company, api_as, no_sensitive_rights):
    before = snapshot()
    person = Stakeholder.objects.get()
    response = api_as(company.hannah).patch(
        f"/api/clients/{company.alice_client.pk}/stakeholders/{person.pk}", {"private_notes": "x"}
    )
    assert response.status_code == 403
    assert snapshot() == before


# ---------------------------------------------------------------- the list: pagination, filters, queries


def test_the_list_is_paginated_with_at_most_200_a_page(company, api_as):
    for i in range(5):
        make_client(company.alice, "", f"Extra {i}")
    api = api_as(company.diana)
    first = api.get("/api/clients", {"page_size": 3}).json()
    assert (first["count"], first["page"], first["page_size"], first["pages"]) == (8, 1, 3, 3)
    assert len(first["items"]) == 3
    third = api.get("/api/clients", {"page_size": 3, "page": 3}).json()
    assert len(third["items"]) == 2
    seen = [
        c["id"]
        for p in (1, 2, 3)
        for c in api.get("/api/clients", {"page_size": 3, "page": p}).json()["items"]
    ]
    assert len(set(seen)) == 8
    assert api.get("/api/clients", {"page": 99}).json()["items"] == []
    too_big = api.get("/api/clients", {"page_size": 201})
    assert too_big.status_code == 422
    assert too_big.json()["message"] == "Invalid input"
    assert api.get("/api/clients", {"page": 0}).status_code == 422


def test_the_list_runs_the_same_number_of_queries_for_3_or_40_clients(company, api_as):
    Tag.objects.create(name="vip")
    api = api_as(company.diana)
    api.get("/api/clients")  # the token's first use touches last_used_at once

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/clients", {"page_size": 200}).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for i in range(37):
        client = make_client(company.alice if i % 2 else company.carol, "", f"Many {i}")
        client.tags.set(Tag.objects.all())
    assert queries() == few
    assert few <= 5


def test_a_kams_list_is_constant_in_queries_too(company, api_as):
    api = api_as(company.alice)
    api.get("/api/clients")
    with CaptureQueriesContext(connection) as ctx:
        api.get("/api/clients")
    few = len(ctx.captured_queries)
    for i in range(20):
        make_client(company.alice, "", f"Mine {i}")
    with CaptureQueriesContext(connection) as ctx:
        assert len(api.get("/api/clients").json()["items"]) == 21
    assert len(ctx.captured_queries) == few


def test_the_list_filters_like_the_page(company, api_as):
    lost = make_client(company.bob, INNS[3], "Oduvanchik")
    lost.region = "Tver"
    lost.status = ClientStatus.LOST
    lost.segment = Segment.SMALL
    lost.save()
    lost.tags.add(Tag.objects.create(name="pharma"))
    api = api_as(company.diana)
    assert names(api.get("/api/clients", {"q": "roma"})) == {"Romashka"}
    assert names(api.get("/api/clients", {"q": INNS[2][:5]})) == {"Lyutik"}
    assert names(api.get("/api/clients", {"status": "lost"})) == {"Oduvanchik"}
    assert names(api.get("/api/clients", {"segment": "small"})) == {"Oduvanchik"}
    assert names(api.get("/api/clients", {"region": "Tver"})) == {"Oduvanchik"}
    assert names(api.get("/api/clients", {"kam": company.carol.pk})) == {"Lyutik"}
    assert names(api.get("/api/clients", {"department": company.north.pk})) == {
        "Romashka",
        "Vasilek",
        "Oduvanchik",
    }
    assert names(api.get("/api/clients", {"tag": "pharma"})) == {"Oduvanchik"}
    ordered = [c["short_name"] for c in api.get("/api/clients", {"sort": "-name"}).json()["items"]]
    assert ordered == ["Vasilek", "Romashka", "Oduvanchik", "Lyutik"]


def test_filters_never_widen_what_a_kam_sees(company, api_as):
    api = api_as(company.alice)
    assert names(api.get("/api/clients", {"kam": company.carol.pk})) == set()
    assert names(api.get("/api/clients", {"department": company.south.pk})) == set()


@pytest.mark.parametrize(
    "params",
    [
        {"status": "gone"},
        {"segment": "huge"},
        {"sort": "margin"},
        {"kam": "x"},
        {"q": "a" * 101},
        {"q": "a\x00"},
    ],
)
def test_bad_filters_are_a_422_with_the_reason(company, api_as, params):
    response = api_as(company.diana).get("/api/clients", params)
    assert response.status_code == 422
    assert response.json()["message"] == "Invalid input"
    assert response.json()["errors"]


# ---------------------------------------------------------------- changing a client


PATCH_ALICE_CLIENT = {
    "alice": 200,
    "bob": 404,
    "carol": 404,
    "hannah": 200,
    "hugo": 404,
    "diana": 200,
    "sam": 404,
    "fiona": 404,
    "adam": 404,
}


@pytest.mark.parametrize("who", ROLES)
def test_each_role_changes_a_client_only_where_the_pages_allow(company, api_as, who):
    before = snapshot()
    response = api_as(getattr(company, who)).patch(
        f"/api/clients/{company.alice_client.pk}", {"short_name": "Romashka Plus", "tags": ["vip"]}
    )
    assert response.status_code == PATCH_ALICE_CLIENT[who]
    if response.status_code == 200:
        assert response.json()["short_name"] == "Romashka Plus"
        assert response.json()["tags"] == ["vip"]
        company.alice_client.refresh_from_db()
        assert company.alice_client.short_name == "Romashka Plus"
    else:
        assert response.json() == {"message": "Not found"}
        assert snapshot() == before


def test_a_patch_changes_only_the_fields_sent(company, api_as):
    response = api_as(company.alice).patch(
        f"/api/clients/{company.alice_client.pk}", {"credit_limit": "2500000.50", "category_budget": 1000}
    )
    assert response.status_code == 200
    client = Client.objects.get(pk=company.alice_client.pk)
    assert client.credit_limit == Decimal("2500000.50")
    assert client.category_budget == Decimal(1000)
    assert client.short_name == "Romashka"
    assert response.json()["dossier"]["category_budget"] == "1000.00"


def test_a_change_through_the_api_is_logged_with_the_tokens_user(company, api_as):
    api_as(company.alice).patch(f"/api/clients/{company.alice_client.pk}", {"region": "Kazan"})
    entry = LogEntry.objects.filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == company.alice
    assert entry.changes_dict["region"] == ["Moscow", "Kazan"]


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"tax_number": "7707083894"}, "tax_number", "checksum"),
        ({"tax_number": INNS[2]}, "tax_number", "already registered"),
        ({"tax_number": "12345"}, "tax_number", "10 digits"),
        ({"price_column": 11}, "price_column", ""),
        ({"credit_limit": "-1"}, "credit_limit", ""),
        ({"credit_limit": "12345678901234567.00"}, "credit_limit", ""),
        ({"short_name": None}, "short_name", ""),
        ({"short_name": ""}, "short_name", ""),
        ({"status": "sleeping"}, "status", ""),
        ({"owner_id": 5}, "owner_id", ""),
        ({"notes": "x"}, "notes", ""),
    ],
)
def test_invalid_changes_are_a_422_naming_the_field_and_change_nothing(company, api_as, body, field, text):
    before, logged = snapshot(), changes()
    response = api_as(company.alice).patch(f"/api/clients/{company.alice_client.pk}", body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["message"] == "Invalid input"
    assert field in str(payload["errors"])
    assert text in str(payload["errors"])
    assert snapshot() == before
    assert changes() == logged


def test_a_body_that_is_not_json_is_a_4xx_json_answer(company, api_as):
    api = api_as(company.alice)
    response = api.http.patch(
        f"/api/clients/{company.alice_client.pk}", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"message": "Cannot parse request body"}


# ---------------------------------------------------------------- creating a client


NEW_CLIENT = {"legal_name": 'OOO "Romashka 2"', "short_name": "Romashka 2", "tax_number": INNS[4]}


@pytest.mark.parametrize("who", ["alice", "hannah"])
def test_kams_and_heads_register_clients_they_then_own(company, api_as, who):
    user = getattr(company, who)
    response = api_as(user).post("/api/clients", {**NEW_CLIENT, "tags": ["new", "new", " "]})
    assert response.status_code == 201
    body = response.json()
    client = Client.objects.get(pk=body["id"])
    assert client.owner == user
    assert client.department == company.north
    assert body["tags"] == ["new"]
    assert body["dossier"] is not None


@pytest.mark.parametrize("who", ["sam", "fiona", "adam"])
def test_roles_without_clients_cannot_register_one(company, api_as, who):
    before = snapshot()
    response = api_as(getattr(company, who)).post("/api/clients", NEW_CLIENT)
    assert response.status_code == 403
    assert "message" in response.json()
    assert snapshot() == before


def test_the_director_names_the_kam_of_a_new_client(company, api_as):
    api = api_as(company.diana)
    before = snapshot()
    refused = api.post("/api/clients", NEW_CLIENT)
    assert refused.status_code == 422
    assert "owner" in refused.json()["errors"]
    assert snapshot() == before
    created = api.post("/api/clients", {**NEW_CLIENT, "owner_id": company.carol.pk})
    assert created.status_code == 201
    assert created.json()["owner"]["id"] == company.carol.pk
    assert created.json()["department"]["name"] == "Sales South"


def test_a_head_cannot_give_a_new_client_to_another_departments_kam(company, api_as):
    before = snapshot()
    response = api_as(company.hannah).post("/api/clients", {**NEW_CLIENT, "owner_id": company.carol.pk})
    assert response.status_code == 422
    assert response.json()["errors"] == {"owner_id": ["You cannot give a client to this user."]}
    assert snapshot() == before


def test_a_kam_cannot_give_a_new_client_to_a_colleague(company, api_as):
    before = snapshot()
    response = api_as(company.alice).post("/api/clients", {**NEW_CLIENT, "owner_id": company.bob.pk})
    assert response.status_code == 422
    assert snapshot() == before


def test_a_duplicate_inn_is_refused_without_telling_whose_it_is(company, api_as):
    before = snapshot()
    response = api_as(company.alice).post("/api/clients", {**NEW_CLIENT, "tax_number": INNS[2]})
    assert response.status_code == 422
    message = str(response.json()["errors"]["tax_number"])
    assert "already registered" in message
    assert "Lyutik" not in message
    assert snapshot() == before


def test_a_new_client_with_a_bad_inn_and_tags_leaves_no_tags_behind(company, api_as):
    before = snapshot()
    response = api_as(company.alice).post(
        "/api/clients", {**NEW_CLIENT, "tax_number": "7707083894", "tags": ["orphan"]}
    )
    assert response.status_code == 422
    assert snapshot() == before


# ---------------------------------------------------------------- reassigning


REASSIGN_ALICE_CLIENT_TO_BOB = {
    "alice": 404,
    "bob": 404,
    "carol": 404,
    "hannah": 200,
    "hugo": 404,
    "diana": 200,
    "sam": 404,
    "fiona": 404,
    "adam": 404,
}


@pytest.mark.parametrize("who", ROLES)
def test_only_heads_of_the_department_and_the_director_reassign(company, api_as, who):
    before = snapshot()
    response = api_as(getattr(company, who)).post(
        f"/api/clients/{company.alice_client.pk}/reassign", {"owner_id": company.bob.pk}
    )
    assert response.status_code == REASSIGN_ALICE_CLIENT_TO_BOB[who]
    if response.status_code == 200:
        assert response.json()["owner"]["id"] == company.bob.pk
        assert Client.objects.get(pk=company.alice_client.pk).owner == company.bob
    else:
        assert snapshot() == before


def test_a_head_cannot_hand_a_client_to_another_department(company, api_as):
    before = snapshot()
    response = api_as(company.hannah).post(
        f"/api/clients/{company.alice_client.pk}/reassign", {"owner_id": company.carol.pk}
    )
    assert response.status_code == 422
    assert snapshot() == before


def test_the_director_moves_a_client_to_another_department(company, api_as):
    response = api_as(company.diana).post(
        f"/api/clients/{company.alice_client.pk}/reassign", {"owner_id": company.carol.pk}
    )
    assert response.status_code == 200
    assert response.json()["department"]["id"] == company.south.pk
    # alice no longer sees it
    assert api_as(company.alice).get(f"/api/clients/{company.alice_client.pk}").status_code == 404


def test_a_client_cannot_go_to_someone_who_is_not_a_kam(company, api_as):
    before = snapshot()
    response = api_as(company.diana).post(
        f"/api/clients/{company.alice_client.pk}/reassign", {"owner_id": company.sam.pk}
    )
    assert response.status_code == 422
    assert snapshot() == before


# ---------------------------------------------------------------- stakeholders


def stakeholders_url(company) -> str:
    return f"/api/clients/{company.alice_client.pk}/stakeholders"


@pytest.mark.parametrize("who", ROLES)
def test_each_role_adds_stakeholders_only_where_it_may_change_the_client(company, api_as, who):
    before = snapshot()
    response = api_as(getattr(company, who)).post(
        stakeholders_url(company),
        {"full_name": "Olga Sidorova", "decision_role": "influencer", "influence": 4},
    )
    assert response.status_code == (201 if PATCH_ALICE_CLIENT[who] == 200 else 404)
    if response.status_code == 201:
        assert Stakeholder.objects.get(pk=response.json()["id"]).client == company.alice_client
    else:
        assert snapshot() == before


def test_a_stakeholder_is_changed_and_removed(company, api_as):
    api = api_as(company.alice)
    person = Stakeholder.objects.get()
    url = f"{stakeholders_url(company)}/{person.pk}"
    changed = api.patch(url, {"attitude": "champion", "last_contact_on": "2026-11-20"})
    assert changed.status_code == 200
    assert changed.json()["attitude"] == "champion"
    assert changed.json()["last_contact_on"] == "2026-11-20"
    assert changed.json()["private_notes"] == "Prefers morning meetings; sensitive"
    assert api.delete(url).status_code == 204
    assert not Stakeholder.objects.exists()
    assert api.delete(url).status_code == 404


def test_a_stakeholder_of_another_client_is_not_reachable_through_this_one(company, api_as):
    foreign = Stakeholder.objects.create(client=company.carol_client, full_name="Carol's contact")
    before = snapshot()
    api = api_as(company.alice)
    url = f"{stakeholders_url(company)}/{foreign.pk}"
    assert api.patch(url, {"full_name": "Hijacked"}).status_code == 404
    assert api.delete(url).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"full_name": ""},
        {"full_name": "X", "influence": 6},
        {"full_name": "X", "email": "not-an-email"},
        {"full_name": "X", "decision_role": "boss"},
        {"full_name": "X", "last_contact_on": "yesterday"},
        {"position": "no name"},
    ],
)
def test_invalid_stakeholders_are_a_422(company, api_as, body):
    before = snapshot()
    response = api_as(company.alice).post(stakeholders_url(company), body)
    assert response.status_code == 422
    assert response.json()["errors"]
    assert snapshot() == before


# ---------------------------------------------------------------- relationships


def test_relationships_are_drawn_listed_and_removed(company, api_as):
    api = api_as(company.alice)
    boss = Stakeholder.objects.get()
    aide = Stakeholder.objects.create(client=company.alice_client, full_name="Anna Aide")
    url = f"/api/clients/{company.alice_client.pk}/relationships"
    created = api.post(url, {"source_id": aide.pk, "target_id": boss.pk, "kind": "reports_to"})
    assert created.status_code == 201
    assert created.json()["source"] == {"id": aide.pk, "name": "Anna Aide"}
    assert api.get(url).json() == [created.json()]
    again = api.post(url, {"source_id": aide.pk, "target_id": boss.pk, "kind": "reports_to"})
    assert again.status_code == 422
    assert "already" in str(again.json()["errors"])
    itself = api.post(url, {"source_id": aide.pk, "target_id": aide.pk, "kind": "allied"})
    assert itself.status_code == 422
    assert api.delete(f"{url}/{created.json()['id']}").status_code == 204
    assert not Relationship.objects.exists()


def test_a_relationship_cannot_reach_into_another_client(company, api_as):
    boss = Stakeholder.objects.get()
    foreign = Stakeholder.objects.create(client=company.carol_client, full_name="Carol's contact")
    before = snapshot()
    response = api_as(company.alice).post(
        f"/api/clients/{company.alice_client.pk}/relationships",
        {"source_id": boss.pk, "target_id": foreign.pk, "kind": "influences"},
    )
    assert response.status_code == 422
    assert snapshot() == before


@pytest.mark.parametrize("who", ["bob", "carol", "hugo", "sam", "fiona", "adam"])
def test_outsiders_cannot_draw_or_erase_relationships(company, api_as, who):
    boss = Stakeholder.objects.get()
    aide = Stakeholder.objects.create(client=company.alice_client, full_name="Anna Aide")
    edge = Relationship.objects.create(client=company.alice_client, source=aide, target=boss, kind="allied")
    before = snapshot()
    api = api_as(getattr(company, who))
    url = f"/api/clients/{company.alice_client.pk}/relationships"
    assert api.post(url, {"source_id": boss.pk, "target_id": aide.pk, "kind": "rival"}).status_code == 404
    assert api.delete(f"{url}/{edge.pk}").status_code == 404
    assert snapshot() == before


# ---------------------------------------------------------------- competitors


@pytest.mark.parametrize("who", ["alice", "hannah", "diana"])
def test_the_sales_side_reads_and_grows_the_competitor_registry(company, api_as, who):
    api = api_as(getattr(company, who))
    created = api.post("/api/competitors", {"name": "Acme Pharma", "website": "acme.example"})
    assert created.status_code == 201
    listed = api.get("/api/competitors", {"q": "acme"}).json()
    assert [c["name"] for c in listed["items"]] == ["Acme Pharma"]
    duplicate = api.post("/api/competitors", {"name": "Acme Pharma"})
    assert duplicate.status_code == 422
    assert "name" in duplicate.json()["errors"]


@pytest.mark.parametrize("who", ["sam", "fiona", "adam"])
def test_support_finance_and_admin_have_no_competitor_registry(company, api_as, who):
    Competitor.objects.create(name="Acme")
    before = snapshot()
    api = api_as(getattr(company, who))
    assert api.get("/api/competitors").status_code == 403
    assert api.post("/api/competitors", {"name": "Other"}).status_code == 403
    assert snapshot() == before


def test_a_competitors_presence_at_a_client_is_recorded_changed_and_removed(company, api_as):
    acme = Competitor.objects.create(name="Acme")
    beta = Competitor.objects.create(name="Beta")
    api = api_as(company.alice)
    url = f"/api/clients/{company.alice_client.pk}/competitors"
    created = api.post(url, {"competitor_id": acme.pk, "supplies": "syringes", "estimated_share": "35.5"})
    assert created.status_code == 201
    assert created.json()["estimated_share"] == "35.50"
    twice = api.post(url, {"competitor_id": acme.pk, "estimated_share": 1})
    assert twice.status_code == 422
    too_much = api.post(url, {"competitor_id": beta.pk, "estimated_share": 150})
    assert too_much.status_code == 422
    unknown = api.post(url, {"competitor_id": 987654, "estimated_share": 1})
    assert unknown.status_code == 422
    item = f"{url}/{created.json()['id']}"
    changed = api.patch(item, {"estimated_share": 40, "competitor_id": beta.pk})
    assert changed.status_code == 200
    assert changed.json()["competitor"] == {"id": beta.pk, "name": "Beta"}
    assert [p["estimated_share"] for p in api.get(url).json()] == ["40.00"]
    assert api.delete(item).status_code == 204
    assert not ClientCompetitor.objects.exists()


@pytest.mark.parametrize("who", ["bob", "carol", "hugo", "sam", "fiona", "adam"])
def test_outsiders_cannot_touch_a_clients_competitors(company, api_as, who):
    acme = Competitor.objects.create(name="Acme")
    presence = ClientCompetitor.objects.create(
        client=company.alice_client, competitor=acme, estimated_share=Decimal(10)
    )
    before = snapshot()
    api = api_as(getattr(company, who))
    url = f"/api/clients/{company.alice_client.pk}/competitors"
    assert api.post(url, {"competitor_id": acme.pk, "estimated_share": 5}).status_code == 404
    assert api.patch(f"{url}/{presence.pk}", {"estimated_share": 5}).status_code == 404
    assert api.delete(f"{url}/{presence.pk}").status_code == 404
    assert snapshot() == before


# ---------------------------------------------------------------- financial indicators


def test_financial_indicators_are_put_by_year_and_listed_newest_first(company, api_as):
    api = api_as(company.alice)
    url = f"/api/clients/{company.alice_client.pk}/financials"
    first = api.put(f"{url}/2024", {"revenue": "1200000000.00", "profit": "-5000.50", "employees": 340})
    assert first.status_code == 200
    assert first.json() == {"year": 2024, "revenue": "1200000000.00", "profit": "-5000.50", "employees": 340}
    api.put(f"{url}/2025", {"revenue": 10})
    replaced = api.put(f"{url}/2024", {"employees": 350})
    assert replaced.json() == {"year": 2024, "revenue": None, "profit": None, "employees": 350}
    assert [row["year"] for row in api.get(url).json()] == [2025, 2024]
    assert FinancialIndicator.objects.count() == 2


@pytest.mark.parametrize(
    ("year", "body"),
    [(1980, {"revenue": 1}), (2101, {}), (2024, {"employees": -1}), (2024, {"revenue": "1e30"})],
)
def test_invalid_financial_indicators_are_a_422(company, api_as, year, body):
    before = snapshot()
    response = api_as(company.alice).put(f"/api/clients/{company.alice_client.pk}/financials/{year}", body)
    assert response.status_code == 422
    assert snapshot() == before


@pytest.mark.parametrize("who", ["bob", "carol", "hugo", "sam", "fiona", "adam"])
def test_outsiders_cannot_put_financial_indicators(company, api_as, who):
    before = snapshot()
    response = api_as(getattr(company, who)).put(
        f"/api/clients/{company.alice_client.pk}/financials/2024", {"revenue": 1}
    )
    assert response.status_code == 404
    assert snapshot() == before


# ---------------------------------------------------------------- errors


def test_an_unexpected_failure_is_a_json_500_not_an_html_page(company, api_as, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "client_list", broken)
    response = api_as(company.alice).get("/api/clients")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "boom" not in response.content.decode()
    assert response.json()["message"]


def test_a_head_without_a_department_sees_nothing(company, api_as):
    company.hannah.department = None
    company.hannah.save()
    assert api_as(company.hannah).get("/api/clients").json()["items"] == []
    assert company.hannah.role == Role.HEAD
