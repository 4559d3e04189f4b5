"""Opportunities, stage history, weighted forecast, permissions, board and client groups."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.clients.models import Competitor
from kam.core.testing import INNS, make_client
from kam.pipeline import selectors, services
from kam.pipeline.models import ClientLink, Opportunity, Stage, StageChange, Status

pytestmark = pytest.mark.django_db


def make_opp(company, client=None, actor=None, **extra):
    client = client or company.alice_client
    actor = actor or client.owner
    fields: dict[str, Any] = {
        "title": "Pumps for the new line",
        "amount": Decimal("1000000.00"),
        "expected_on": date(2026, 3, 15),
    }
    fields.update(extra)
    return services.opportunity_create(actor=actor, client=client, **fields)


def state(opportunity):
    o = Opportunity.objects.get(pk=opportunity.pk)
    return (
        o.stage,
        o.status,
        o.probability,
        o.lost_reason,
        o.amount,
        StageChange.objects.filter(opportunity=o).count(),
    )


def test_a_new_opportunity_takes_the_stage_default_probability_and_a_first_history_row(company):
    opp = make_opp(company, stage=Stage.PROPOSAL)
    assert opp.owner == company.alice
    assert opp.probability == 25
    row = opp.stage_changes.get()
    assert (row.from_stage, row.to_stage, row.changed_by) == ("", Stage.PROPOSAL, company.alice)


def test_each_move_writes_a_history_row_with_from_to_and_who(company):
    opp = make_opp(company)
    services.opportunity_move(opportunity=opp, to_stage=Stage.CONTACT, actor=company.alice)
    services.opportunity_move(opportunity=opp, to_stage=Stage.MEETING, actor=company.hannah)
    rows = list(selectors.history(opp).values_list("from_stage", "to_stage", "changed_by__username"))
    assert rows == [
        ("", "research", "alice"),
        ("research", "contact", "alice"),
        ("contact", "meeting", "hannah"),
    ]
    opp.refresh_from_db()
    assert (opp.stage, opp.probability) == (Stage.MEETING, 40)


@pytest.mark.parametrize("to_stage", ["research", "nowhere", ""])
def test_an_invalid_move_is_refused_and_nothing_changes(company, to_stage):
    opp = make_opp(company)
    before = state(opp)
    with pytest.raises(ValidationError):
        services.opportunity_move(opportunity=opp, to_stage=to_stage, actor=company.alice)
    assert state(opp) == before


def test_a_closed_opportunity_does_not_move(company):
    opp = make_opp(company)
    services.opportunity_close(opportunity=opp, status=Status.WON, actor=company.alice)
    before = state(opp)
    with pytest.raises(ValidationError):
        services.opportunity_move(opportunity=opp, to_stage=Stage.CONTACT, actor=company.alice)
    assert state(opp) == before


def test_lost_without_a_reason_is_refused_and_nothing_changes(company):
    opp = make_opp(company)
    before = state(opp)
    with pytest.raises(ValidationError) as exc:
        services.opportunity_close(opportunity=opp, status=Status.LOST, actor=company.alice, lost_reason="  ")
    assert "lost_reason" in exc.value.message_dict
    assert state(opp) == before
    services.opportunity_close(opportunity=opp, status=Status.LOST, actor=company.alice, lost_reason="Price")
    opp.refresh_from_db()
    assert (opp.status, opp.probability, opp.lost_reason) == (Status.LOST, 0, "Price")
    assert opp.stage_changes.last().status == Status.LOST


def test_the_weighted_forecast_is_exact_and_cut_at_period_boundaries(company):
    make_opp(company, amount=Decimal("100000.01"), probability=33, expected_on=date(2026, 1, 31))
    make_opp(company, amount=Decimal("0.03"), probability=50, expected_on=date(2026, 2, 1))
    make_opp(company, amount=Decimal("200000.00"), probability=10, expected_on=date(2026, 3, 31))
    make_opp(company, amount=Decimal("999.99"), probability=100, expected_on=date(2026, 4, 1))
    make_opp(company, amount=Decimal("5000.00"), probability=50, expected_on=date(2025, 12, 31))  # last year
    lost = make_opp(company, amount=Decimal("7000.00"), probability=50, expected_on=date(2026, 1, 10))
    services.opportunity_close(
        opportunity=lost, status=Status.LOST, actor=company.alice, lost_reason="No budget"
    )
    make_opp(
        company,
        client=company.bob_client,
        amount=Decimal("10.00"),
        probability=5,
        expected_on=date(2026, 12, 31),
    )

    months = selectors.weighted_forecast(company.hannah, 2026, "month")
    alice_row = next(r for r in months.rows if r.kam == company.alice)
    assert alice_row.cells[0] == Decimal("33000.0033")
    assert alice_row.cells[1] == Decimal("0.015")
    assert alice_row.cells[2] == Decimal("20000")
    assert alice_row.cells[3] == Decimal("999.99")
    assert alice_row.total == Decimal("54000.0083")  # the lost one and last year's are out
    bob_row = next(r for r in months.rows if r.kam == company.bob)
    assert bob_row.cells[11] == Decimal("0.5")

    quarters = selectors.weighted_forecast(company.hannah, 2026, "quarter")
    alice_q = next(r for r in quarters.rows if r.kam == company.alice)
    assert alice_q.cells == [Decimal("53000.0183"), Decimal("999.99"), Decimal("0"), Decimal("0")]
    assert quarters.labels == ["Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026"]
    assert quarters.total == Decimal("53000.0183") + Decimal("999.99") + Decimal("0.5")


def test_the_forecast_shows_a_kam_only_what_they_see(company):
    make_opp(company)
    make_opp(company, client=company.carol_client)
    assert [r.kam for r in selectors.weighted_forecast(company.alice, 2026).rows] == [company.alice]
    assert [r.kam for r in selectors.weighted_forecast(company.hugo, 2026).rows] == [company.carol]
    assert len(selectors.weighted_forecast(company.diana, 2026).rows) == 2
    assert selectors.weighted_forecast(company.sam, 2026).rows == []


def test_carol_moving_alices_opportunity_gets_404_and_nothing_changes(company, login):
    opp = make_opp(company)
    before = state(opp)
    response = login(company.carol).post(reverse("pipeline:move", args=[opp.pk]), {"stage": "contact"})
    assert response.status_code == 404
    assert state(opp) == before
    with pytest.raises(PermissionDenied):
        services.opportunity_move(opportunity=opp, to_stage=Stage.CONTACT, actor=company.carol)
    assert state(opp) == before


def test_sales_support_is_refused_the_pipeline_and_changes_nothing(company, login):
    opp = make_opp(company)
    before = state(opp)
    http = login(company.sam)
    assert http.get(reverse("pipeline:board")).status_code == 403
    assert http.get(reverse("pipeline:forecast")).status_code == 403
    assert http.post(reverse("pipeline:move", args=[opp.pk]), {"stage": "contact"}).status_code == 403
    assert http.post(reverse("pipeline:close", args=[opp.pk]), {"status": "won"}).status_code == 403
    assert state(opp) == before


def test_others_cannot_see_or_edit_an_opportunity_of_another_department(company, login):
    opp = make_opp(company)
    before = state(opp)
    http = login(company.carol)
    assert http.get(reverse("pipeline:detail", args=[opp.pk])).status_code == 404
    assert http.post(reverse("pipeline:edit", args=[opp.pk]), {"title": "x"}).status_code == 404
    assert (
        http.post(reverse("pipeline:create", args=[company.alice_client.pk]), {"title": "x"}).status_code
        == 404
    )
    assert Opportunity.objects.count() == 1
    assert state(opp) == before


def test_a_move_through_htmx_rerenders_the_board_and_keeps_history(company, login):
    opp = make_opp(company)
    http = login(company.alice)
    response = http.post(
        reverse("pipeline:move", args=[opp.pk]), {"stage": "proposal"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<div id="board"')
    assert 'data-stage="proposal"' in body
    assert opp.stage_changes.count() == 2


def test_the_board_uses_a_constant_number_of_queries(company, login):
    http = login(company.hannah)
    make_opp(company)
    http.get(reverse("pipeline:board"))
    with CaptureQueriesContext(connection) as few:
        assert http.get(reverse("pipeline:board")).status_code == 200
    for i in range(6):
        make_opp(company, client=company.bob_client if i % 2 else company.alice_client, title=f"Deal {i}")
    with CaptureQueriesContext(connection) as many:
        body = http.get(reverse("pipeline:board")).content.decode()
    assert body.count('class="kcard"') == 7
    assert len(many) == len(few)


def test_create_and_edit_forms_validate(company, login):
    http = login(company.alice)
    rival = Competitor.objects.create(name="Rival")
    url = reverse("pipeline:create", args=[company.alice_client.pk])
    bad = http.post(
        url, {"title": "", "kind": "tender", "amount": "-5", "expected_on": "2026-05-01", "stage": "research"}
    )
    assert bad.status_code == 200 and Opportunity.objects.count() == 0
    ok = http.post(
        url,
        {
            "title": "Tender 2026",
            "kind": "tender",
            "amount": "150000.50",
            "expected_on": "2026-05-01",
            "stage": "proposal",
            "competitors": [rival.pk],
        },
    )
    opp = Opportunity.objects.get()
    assert ok.status_code == 302
    assert (opp.probability, opp.owner, list(opp.competitors.all())) == (25, company.alice, [rival])
    edit = reverse("pipeline:edit", args=[opp.pk])
    bad_edit = http.post(
        edit,
        {
            "title": "T",
            "kind": "tender",
            "amount": "1",
            "probability": "150",
            "expected_on": "2026-05-01",
            "owner": company.alice.pk,
        },
    )
    assert bad_edit.status_code == 200
    opp.refresh_from_db()
    assert opp.probability == 25
    http.post(
        edit,
        {
            "title": "T",
            "kind": "tender",
            "amount": "1",
            "probability": "70",
            "expected_on": "2026-05-01",
            "owner": company.alice.pk,
        },
    )
    opp.refresh_from_db()
    assert (opp.title, opp.probability) == ("T", 70)
    detail = http.get(reverse("pipeline:detail", args=[opp.pk])).content.decode()
    assert 'id="stage-history"' in detail
    tab = http.get(
        reverse("clients:dossier_tab", args=[company.alice_client.pk, "opportunities"])
    ).content.decode()
    assert "Tender 2026" not in tab and ">T<" in tab


def test_forecast_and_groups_pages_render(company, login):
    make_opp(company)
    http = login(company.diana)
    body = http.get(reverse("pipeline:forecast") + "?year=2026&period=quarter").content.decode()
    assert "Q1 2026" in body and 'id="forecast-table"' in body
    assert http.get(reverse("pipeline:groups")).status_code == 200


# ------------------------------------------------------------------ client groups


def snapshot_with(total, rows, key_share="0.10"):
    from kam.analytics.models import Snapshot, SnapshotClient, SnapshotStatus

    snapshot = Snapshot.objects.create(
        status=SnapshotStatus.DONE, total_basis=total, settings={"key_share": key_share}
    )
    for rank, (client, basis) in enumerate(rows, start=1):
        SnapshotClient.objects.create(
            snapshot=snapshot,
            client=client,
            rank=rank,
            turnover=basis,
            income=basis,
            basis=basis,
            abc="B",
            xyz="X",
        )
    return snapshot


def test_two_subsidiaries_at_six_percent_each_make_a_key_group(company):
    holding = make_client(company.alice, INNS[3], "Holding")
    sub_a, sub_b = company.alice_client, company.bob_client
    services.client_link_create(actor=company.hannah, parent=holding, child=sub_a, kind="subsidiary")
    services.client_link_create(actor=company.hannah, parent=holding, child=sub_b, kind="branch")
    snapshot = snapshot_with(1000, [(sub_a, 60), (sub_b, 60), (company.carol_client, 880)])
    [group] = selectors.group_shares(snapshot)
    assert group.top == holding
    assert set(group.members) == {holding, sub_a, sub_b}
    assert (group.basis, group.is_key, group.share) == (120, True, Decimal("0.12"))
    # 4.99 % + 4.99 % stays below a 10 % key share: exact integers, no rounding up
    snapshot = snapshot_with(10000, [(sub_a, 499), (sub_b, 500)])
    assert selectors.group_shares(snapshot)[0].is_key is False
    snapshot = snapshot_with(10000, [(sub_a, 500), (sub_b, 500)])
    assert selectors.group_shares(snapshot)[0].is_key is True


def test_a_distributor_link_does_not_make_a_group(company):
    services.client_link_create(
        actor=company.hannah, parent=company.alice_client, child=company.bob_client, kind="distributor_of"
    )
    snapshot = snapshot_with(100, [(company.alice_client, 6), (company.bob_client, 6)])
    assert selectors.group_shares(snapshot) == []


def test_a_cycle_and_a_self_link_are_refused_and_nothing_changes(company):
    a, b = company.alice_client, company.bob_client
    c = make_client(company.alice, INNS[3], "Grandchild")
    services.client_link_create(actor=company.hannah, parent=a, child=b, kind="subsidiary")
    services.client_link_create(actor=company.hannah, parent=b, child=c, kind="branch")
    for parent, child in [(c, a), (b, a), (a, a)]:
        with pytest.raises(ValidationError):
            services.client_link_create(actor=company.hannah, parent=parent, child=child, kind="subsidiary")
    with pytest.raises(ValidationError):  # a second owner
        services.client_link_create(actor=company.hannah, parent=a, child=c, kind="subsidiary")
    assert ClientLink.objects.count() == 2
    assert [n.client for n in selectors.group_tree(company.diana, c)] == [a, b, c]
    assert [n.depth for n in selectors.group_tree(company.diana, c)] == [0, 1, 2]


def test_linking_a_client_of_another_kam_is_refused(company, login):
    before = ClientLink.objects.count()
    with pytest.raises(PermissionDenied):
        services.client_link_create(
            actor=company.alice, parent=company.alice_client, child=company.carol_client, kind="subsidiary"
        )
    response = login(company.alice).post(
        reverse("pipeline:link_add", args=[company.alice_client.pk]),
        {"kind": "subsidiary", "direction": "parent", "other": company.carol_client.pk},
    )
    assert response.status_code == 302  # carol's client is not among the choices
    assert ClientLink.objects.count() == before


def test_the_group_tab_shows_the_tree(company, login):
    holding = make_client(company.alice, INNS[3], "Holding")
    services.client_link_create(
        actor=company.alice, parent=holding, child=company.alice_client, kind="subsidiary"
    )
    body = (
        login(company.alice)
        .get(reverse("clients:dossier_tab", args=[company.alice_client.pk, "group"]))
        .content.decode()
    )
    assert 'id="group-tree"' in body and "Holding" in body and "Subsidiary" in body
    assert 'id="group-share"' not in body  # no analysis yet


def test_every_part_of_a_key_group_shows_the_groups_figures(company, login):
    holding = make_client(company.alice, INNS[3], "Holding")
    services.client_link_create(
        actor=company.hannah, parent=holding, child=company.alice_client, kind="subsidiary"
    )
    services.client_link_create(
        actor=company.hannah, parent=holding, child=company.bob_client, kind="subsidiary"
    )
    snapshot_with(1000, [(company.alice_client, 60), (company.bob_client, 60), (company.carol_client, 880)])
    http = login(company.hannah)
    for part in (holding, company.alice_client, company.bob_client):
        body = http.get(reverse("clients:dossier_tab", args=[part.pk, "group"])).content.decode()
        assert 'id="group-share"' in body and "key group" in body and "12.00" in body


def test_forecast_and_groups_pages_use_a_constant_number_of_queries(company, login):
    http = login(company.diana)
    make_opp(company)
    holding = make_client(company.alice, INNS[3], "Holding")
    services.client_link_create(
        actor=company.diana, parent=holding, child=company.alice_client, kind="subsidiary"
    )
    snapshot_with(1000, [(company.alice_client, 60)])
    urls = [reverse("pipeline:forecast") + "?year=2026", reverse("pipeline:groups")]
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as few:
            http.get(url)
        counts.append(len(few))
    for i in range(4):
        make_opp(company, client=company.carol_client, title=f"Deal {i}")
    other = make_client(company.carol, INNS[4], "Second holding")
    services.client_link_create(actor=company.diana, parent=other, child=company.carol_client, kind="branch")
    services.client_link_create(actor=company.diana, parent=holding, child=company.bob_client, kind="branch")
    for url, expected in zip(urls, counts, strict=True):
        with CaptureQueriesContext(connection) as many:
            assert http.get(url).status_code == 200
        assert len(many) == expected
