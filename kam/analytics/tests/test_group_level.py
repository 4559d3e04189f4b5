"""The "groups" level of the key-accounts report: holdings whose parts together pass the key share."""

from datetime import date
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from kam.analytics.models import Snapshot, SnapshotClient, SnapshotStatus
from kam.core.testing import INNS, make_client
from kam.pipeline import services as pipeline

pytestmark = pytest.mark.django_db


def snapshot_with(total, rows, key_share="0.10"):
    snapshot = Snapshot.objects.create(
        status=SnapshotStatus.DONE,
        total_basis=total,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        settings={"key_share": key_share, "critical_share": "0.20", "mono_share": "0.70", "basis": "income"},
    )
    for rank, (client, basis) in enumerate(rows, start=1):
        SnapshotClient.objects.create(
            snapshot=snapshot,
            client=client,
            rank=rank,
            turnover=basis,
            income=basis,
            basis=basis,
            share=basis / total,
            abc="B",
            xyz="X",
            is_key=basis * 10 >= total,
            is_key_any=basis * 10 >= total,
        )
    return snapshot


@pytest.fixture
def holding(company):
    """Two subsidiaries at 6 % each (neither key alone) under one holding: a key group at 12 %."""
    top = make_client(company.alice, INNS[3], "Holding")
    pipeline.client_link_create(
        actor=company.diana, parent=top, child=company.alice_client, kind="subsidiary"
    )
    pipeline.client_link_create(actor=company.diana, parent=top, child=company.bob_client, kind="subsidiary")
    snapshot_with(1000, [(company.alice_client, 60), (company.bob_client, 60), (company.carol_client, 880)])
    return top


def test_two_subsidiaries_at_six_percent_each_make_a_key_group_on_the_page(company, holding, login):
    page = login(company.hannah).get(reverse("analytics:key_accounts"), {"level": "groups"})
    body = page.content.decode()
    assert 'id="groups-report-table"' in body
    [row] = page.context["page"].object_list
    assert row["group"].top == holding and row["group"].is_key
    assert "12.00" in body and "key group" in body
    assert {m["client"].short_name for m in row["members"]} == {"Holding", "Romashka", "Vasilek"}
    # neither part is key alone; on the company level (all clients) each shows the group's figures
    company_page = login(company.hannah).get(reverse("analytics:key_accounts"), {"all": "1"}).content.decode()
    assert company_page.count('class="small muted group-figures"') == 2


def test_a_kam_sees_the_group_but_not_the_names_of_other_teams_parts(company, holding, login):
    body = login(company.alice).get(reverse("analytics:key_accounts"), {"level": "groups"}).content.decode()
    assert "Romashka" in body and "Holding" in body
    assert "Vasilek" not in body and "a client of another team" in body
    assert (
        "groups-report-table"
        not in login(company.carol)
        .get(reverse("analytics:key_accounts"), {"level": "groups"})
        .content.decode()
    )


def test_only_key_groups_unless_all_and_search(company, holding, login):
    other = make_client(company.carol, INNS[4], "Small holding")
    pipeline.client_link_create(
        actor=company.diana, parent=other, child=make_client(company.carol, INNS[5], "Tiny"), kind="branch"
    )
    http = login(company.diana)
    assert (
        len(http.get(reverse("analytics:key_accounts"), {"level": "groups"}).context["page"].object_list) == 1
    )
    everything = http.get(reverse("analytics:key_accounts"), {"level": "groups", "all": "1"}).context["page"]
    assert len(everything.object_list) == 2
    found = http.get(reverse("analytics:key_accounts"), {"level": "groups", "all": "1", "q": "tiny"}).context[
        "page"
    ]
    assert [r["group"].top.short_name for r in found.object_list] == ["Small holding"]
    fragment = http.get(
        reverse("analytics:key_accounts"),
        {"level": "groups"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="report-rows",
    )
    assert b"<html" not in fragment.content and b"groups-report-table" in fragment.content


def test_the_excel_export_has_the_group_level(company, holding, login):
    http = login(company.diana)
    sheet = load_workbook(BytesIO(http.get(reverse("analytics:export"), {"level": "groups"}).content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Group", "Group income, RUB", "Group share", "Key group")
    assert {(r[0], r[5], r[3]) for r in rows[1:]} == {
        ("Holding", "Holding", True),
        ("Holding", "Romashka", True),
        ("Holding", "Vasilek", True),
    }
    assert all(r[1] == 1.2 for r in rows[1:])
    company_sheet = load_workbook(BytesIO(http.get(reverse("analytics:export"), {"all": "1"}).content)).active
    header, *lines = list(company_sheet.iter_rows(values_only=True))
    assert header[-4:] == ("Group", "Group income, RUB", "Group share", "Key group")
    by_name = {line[1]: line[-4:] for line in lines}
    assert by_name["Romashka"][0] == "Holding" and by_name["Romashka"][3] is True
    assert by_name["Lyutik"][0] in ("", None)
    from auditlog.models import LogEntry

    assert LogEntry.objects.filter(additional_data__what="key accounts: groups").count() == 1


def test_the_groups_level_uses_a_constant_number_of_queries(company, holding, login):
    http = login(company.diana)
    url = reverse("analytics:key_accounts")
    http.get(url, {"level": "groups"})
    with CaptureQueriesContext(connection) as few:
        http.get(url, {"level": "groups", "all": "1"})
    for i, inn in enumerate(INNS[4:6]):
        top = make_client(company.carol, inn, f"Other {i}")
        pipeline.client_link_create(
            actor=company.diana, parent=top, child=company.carol_client if i == 0 else holding, kind="branch"
        )
    with CaptureQueriesContext(connection) as many:
        assert http.get(url, {"level": "groups", "all": "1"}).status_code == 200
    assert len(many) == len(few)
