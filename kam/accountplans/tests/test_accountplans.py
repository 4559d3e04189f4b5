"""Account plans: progress from a hand-made ledger, the review workflow and its versions, actions in the
schedule, permissions at every door (page, API, PDF, export) with the database unchanged, the PDF copies,
the export and constant queries on the list."""

from __future__ import annotations

import io
import subprocess
import tempfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kam.access.models import ApiToken
from kam.accountplans import selectors, services
from kam.accountplans.models import (
    AccountPlan,
    Decision,
    Objective,
    PlanAction,
    PlanStatus,
    PlanVersion,
    SwotItem,
)
from kam.activities import services as activity_services
from kam.activities.models import Activity
from kam.clients.models import Stakeholder
from kam.core.testing import INNS, make_client

from .helpers import Ledger, make_plan, mark_key, product

pytestmark = pytest.mark.django_db

MID_YEAR = date(2026, 6, 30)  # 181 of 365 days of 2026


def plan_state(plan: AccountPlan) -> tuple:
    p = AccountPlan.objects.get(pk=plan.pk)
    return (
        p.status,
        p.strategy,
        p.review_comment,
        Objective.objects.filter(plan=p).count(),
        SwotItem.objects.filter(plan=p).count(),
        PlanAction.objects.filter(plan=p).count(),
        PlanVersion.objects.filter(plan=p).count(),
        Activity.objects.count(),
    )


def full_plan(company, client=None) -> AccountPlan:
    client = client or company.alice_client
    plan = make_plan(client.owner, client, strategy="Grow with the new plant")
    services.objective_add(actor=client.owner, plan=plan, kind="revenue", target=Decimal("1200000"))
    return plan


# ------------------------------------------------------------------------------------------ progress


def test_progress_comes_from_the_ledger_year_to_date_with_pace_against_time_elapsed(company):
    client = company.alice_client
    client.category_budget = Decimal("2000000.00")
    client.save()
    a, b, c = product("P-A"), product("P-B"), product("P-C")
    Ledger().sale(client, date(2025, 12, 31), "999999.00", "1.00", product="P-B").sale(  # last year
        client, date(2026, 1, 15), "100000.00", "60000.00"
    ).sale(client, date(2026, 3, 10), "150000.00", "100000.00", product="P-A").sale(
        client, date(2026, 3, 20), "50000.00", "50000.00", product="P-A"
    ).sale(client, date(2026, 7, 1), "300000.00", "0.00", product="P-C").sale(  # after the as-of day
        company.bob_client,
        date(2026, 2, 1),
        "777777.00",
        "0.00",
        product="P-C",  # another client
    ).save()
    plan = make_plan(company.alice, client)
    for kind, target in [("revenue", "1200000"), ("margin", "300000"), ("wallet", "50")]:
        services.objective_add(actor=company.alice, plan=plan, kind=kind, target=Decimal(target))
    for p in (a, b, c):
        services.objective_add(actor=company.alice, plan=plan, kind="product", product=p)

    progress = selectors.plan_progress(plan, as_of=MID_YEAR)

    assert progress.turnover == Decimal("300000.00")  # Jan + Mar; not Dec 2025, not July, not Vasilek
    assert progress.income == Decimal("90000.00")
    assert progress.elapsed == Decimal(181) / Decimal(365)
    revenue, margin, wallet, pa, pb, pc = progress.objectives
    assert (revenue.actual, revenue.ratio) == (Decimal("300000.00"), Decimal("0.2500"))
    assert revenue.expected == Decimal("595068.49")  # 1 200 000 × 181/365
    assert revenue.pace == Decimal("0.5041") and not revenue.on_pace
    assert (margin.actual, margin.ratio, margin.expected) == (
        Decimal("90000.00"),
        Decimal("0.3000"),
        Decimal("148767.12"),
    )
    assert margin.pace == Decimal("0.6050")
    assert (wallet.actual, wallet.ratio) == (Decimal("15.00"), Decimal("0.3000"))  # 300 000 of 2 000 000
    assert (pa.achieved, pa.bought_on) == (True, date(2026, 3, 10))
    assert not pb.achieved  # bought only last year
    assert not pc.achieved  # bought after the as-of day, and by another client
    assert not revenue.achieved

    end = selectors.plan_progress(plan, as_of=date(2027, 2, 1))
    assert end.turnover == Decimal("600000.00") and end.elapsed == 1
    assert end.objectives[5].achieved  # P-C bought in July


def test_time_elapsed_is_zero_before_the_year_and_one_after_it():
    assert selectors.elapsed_share(2026, date(2025, 12, 31)) == 0
    assert selectors.elapsed_share(2026, date(2026, 1, 1)) == Decimal(1) / Decimal(365)
    assert selectors.elapsed_share(2026, date(2026, 12, 31)) == 1
    assert selectors.elapsed_share(2024, date(2024, 12, 30)) == Decimal(365) / Decimal(366)


def test_a_revenue_target_reached_is_achieved_and_on_pace(company):
    Ledger().sale(company.alice_client, date(2026, 2, 1), "500000.00").save()
    plan = make_plan(company.alice, company.alice_client)
    services.objective_add(actor=company.alice, plan=plan, kind="revenue", target=Decimal("500000"))
    row = selectors.plan_progress(plan, as_of=MID_YEAR).objectives[0]
    assert row.achieved and row.on_pace and row.ratio == 1


def test_share_of_wallet_needs_the_clients_category_budget(company):
    plan = make_plan(company.alice, company.alice_client)
    before = plan_state(plan)
    with pytest.raises(ValidationError) as exc:
        services.objective_add(actor=company.alice, plan=plan, kind="wallet", target=Decimal("30"))
    assert "target" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.objective_add(actor=company.alice, plan=plan, kind="revenue", target=None)
    with pytest.raises(ValidationError):
        services.objective_add(actor=company.alice, plan=plan, kind="product", product=None)
    assert plan_state(plan) == before


def test_one_plan_per_client_and_year(company):
    make_plan(company.alice, company.alice_client, 2026)
    with pytest.raises(ValidationError):
        make_plan(company.alice, company.alice_client, 2026)
    make_plan(company.alice, company.alice_client, 2027)
    assert AccountPlan.objects.count() == 2


def test_key_clients_come_from_the_latest_analysis_but_any_served_client_may_have_a_plan(company):
    mark_key(company.alice_client)
    assert selectors.is_key_client(company.alice_client)
    assert not selectors.is_key_client(company.bob_client)
    other = make_client(company.alice, INNS[3], "Oduvanchik")
    assert selectors.key_clients_without_plan(company.alice, 2026) == [company.alice_client]
    make_plan(company.alice, company.alice_client)
    make_plan(company.alice, other)  # not key: allowed
    assert selectors.key_clients_without_plan(company.alice, 2026) == []
    rows = {p.client_id: getattr(p, "is_key") for p in selectors.plan_list(company.alice)}
    assert rows == {company.alice_client.pk: True, other.pk: False}


# ------------------------------------------------------------------------------- goals and actions


def test_a_relationship_goal_shows_the_stakeholders_attitude_now(company):
    plan = make_plan(company.alice, company.alice_client)
    anna = Stakeholder.objects.create(
        client=company.alice_client, full_name="Anna Sokolova", attitude="neutral", decision_role="kol"
    )
    goal = services.goal_add(
        actor=company.alice, plan=plan, stakeholder=anna, target_attitude="champion", due_on=date(2026, 9, 1)
    )
    assert goal.from_attitude == "neutral"
    row = selectors.goal_rows(plan, as_of=date(2026, 5, 1))[0]
    assert (row.current, row.achieved, row.steps_done, row.steps_total) == ("neutral", False, 0, 2)
    anna.attitude = "supporter"
    anna.save()
    row = selectors.goal_rows(plan, as_of=date(2026, 10, 1))[0]
    assert (row.current, row.achieved, row.overdue, row.steps_done) == ("supporter", False, True, 1)
    anna.attitude = "champion"
    anna.save()
    assert selectors.goal_rows(plan)[0].achieved
    # Someone already a supporter cannot be "moved" to neutral; a stranger cannot be a goal at all.
    ivan = Stakeholder.objects.get(client=company.alice_client, full_name="Ivan Petrov")
    with pytest.raises(ValidationError):
        services.goal_add(
            actor=company.alice,
            plan=plan,
            stakeholder=ivan,
            target_attitude="neutral",
            due_on=date(2026, 9, 1),
        )
    stranger = Stakeholder.objects.create(client=company.bob_client, full_name="Boris")
    with pytest.raises(ValidationError):
        services.goal_add(
            actor=company.alice,
            plan=plan,
            stakeholder=stranger,
            target_attitude="champion",
            due_on=date(2026, 9, 1),
        )


def test_an_action_plans_a_visit_in_the_schedule_and_shows_its_status(company):
    plan = make_plan(company.alice, company.alice_client, year=timezone.localdate().year)
    start = timezone.now() + timedelta(days=2)
    action = services.action_add(
        actor=company.alice,
        plan=plan,
        title="Present the new pumps to the chief engineer",
        kind="visit",
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        place="Plant",
    )
    activity = action.activity
    assert activity is not None
    assert (activity.kind, activity.owner, activity.client, activity.goal) == (
        "visit",
        company.alice,
        company.alice_client,
        "Present the new pumps to the chief engineer",
    )
    assert selectors.action_rows(plan)[0].status == "planned"
    activity_services.activity_complete(user=company.alice, activity=activity, outcome="Interested")
    assert selectors.action_rows(plan)[0].status == "done"

    past = timezone.now() - timedelta(days=3)
    call = activity_services.activity_create(
        user=company.alice,
        client=company.alice_client,
        kind="call",
        planned_start=past,
        planned_end=past + timedelta(minutes=15),
    )
    assert call in selectors.linkable_activities(company.alice, plan)
    services.action_add(actor=company.alice, plan=plan, title="Call about the tender", activity=call)
    assert [r.status for r in selectors.action_rows(plan)] == ["overdue", "done"]
    assert call not in selectors.linkable_activities(company.alice, plan)


def test_an_activity_of_another_client_cannot_be_an_action(company):
    plan = make_plan(company.alice, company.alice_client)
    start = timezone.now()
    other = activity_services.activity_create(
        user=company.bob,
        client=company.bob_client,
        kind="visit",
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )
    before = plan_state(plan)
    with pytest.raises(ValidationError):
        services.action_add(actor=company.alice, plan=plan, title="Steal", activity=other)
    with pytest.raises(ValidationError):
        services.action_add(actor=company.alice, plan=plan, title="No date", kind="visit")
    assert plan_state(plan) == before


# ---------------------------------------------------------------------------------- review workflow


def test_submit_freezes_a_version_and_the_head_approves_it(company):
    plan = full_plan(company)
    services.swot_add(actor=company.alice, plan=plan, kind="weakness", text="Slow deliveries")
    version = services.plan_submit(actor=company.alice, plan=plan)
    plan.refresh_from_db()
    assert (plan.status, version.number, version.decision) == (PlanStatus.SUBMITTED, 1, Decision.PENDING)
    assert version.content["strategy"] == "Grow with the new plant"
    assert version.content["objectives"] == [
        {"kind": "revenue", "target": "1200000.00", "product": None, "note": ""}
    ]
    assert version.content["swot"]["weakness"] == ["Slow deliveries"]

    # While it waits, nothing changes.
    before = plan_state(plan)
    with pytest.raises(ValidationError):
        services.plan_update_strategy(actor=company.alice, plan=plan, strategy="Other")
    with pytest.raises(ValidationError):
        services.plan_submit(actor=company.alice, plan=plan)
    assert plan_state(plan) == before

    services.plan_approve(actor=company.hannah, plan=plan)
    plan.refresh_from_db()
    version.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.reviewed_by == company.hannah
    assert (version.decision, version.decided_by) == (Decision.APPROVED, company.hannah)


def test_editing_an_approved_plan_starts_a_new_draft_and_the_approved_version_stays(company):
    plan = full_plan(company)
    services.plan_submit(actor=company.alice, plan=plan)
    services.plan_approve(actor=company.diana, plan=plan)
    services.plan_update_strategy(actor=company.alice, plan=plan, strategy="Widen the range")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    v1 = PlanVersion.objects.get(plan=plan, number=1)
    assert v1.content["strategy"] == "Grow with the new plant" and v1.decision == Decision.APPROVED
    v2 = services.plan_submit(actor=company.alice, plan=plan)
    assert (v2.number, v2.content["strategy"]) == (2, "Widen the range")


def test_the_head_returns_a_plan_with_a_comment_and_the_kam_reworks_it(company):
    plan = full_plan(company)
    services.plan_submit(actor=company.alice, plan=plan)
    before = plan_state(plan)
    with pytest.raises(ValidationError):
        services.plan_return(actor=company.hannah, plan=plan, comment="  ")
    assert plan_state(plan) == before
    services.plan_return(actor=company.hannah, plan=plan, comment="The margin target is missing")
    plan.refresh_from_db()
    assert (plan.status, plan.review_comment) == (PlanStatus.RETURNED, "The margin target is missing")
    assert PlanVersion.objects.get(plan=plan).decision == Decision.RETURNED
    services.objective_add(actor=company.alice, plan=plan, kind="margin", target=Decimal("250000"))
    v2 = services.plan_submit(actor=company.alice, plan=plan)
    assert v2.number == 2 and len(v2.content["objectives"]) == 2
    assert list(selectors.awaiting_review(company.hannah)) == [plan]


def test_a_plan_without_objectives_cannot_be_submitted(company):
    plan = make_plan(company.alice, company.alice_client)
    before = plan_state(plan)
    with pytest.raises(ValidationError):
        services.plan_submit(actor=company.alice, plan=plan)
    assert plan_state(plan) == before


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "hugo", "sam"])
def test_only_the_head_of_the_department_or_the_director_approves(company, who):
    plan = full_plan(company)
    services.plan_submit(actor=company.alice, plan=plan)
    before = plan_state(plan)
    with pytest.raises(PermissionDenied):
        services.plan_approve(actor=getattr(company, who), plan=plan)
    with pytest.raises(PermissionDenied):
        services.plan_return(actor=getattr(company, who), plan=plan, comment="No")
    assert plan_state(plan) == before


def test_the_review_list_holds_the_departments_submitted_plans(company):
    alice_plan = full_plan(company)
    carol_plan = full_plan(company, company.carol_client)
    services.plan_submit(actor=company.alice, plan=alice_plan)
    services.plan_submit(actor=company.carol, plan=carol_plan)
    assert list(selectors.awaiting_review(company.hannah)) == [alice_plan]
    assert list(selectors.awaiting_review(company.hugo)) == [carol_plan]
    assert set(selectors.awaiting_review(company.diana)) == {alice_plan, carol_plan}
    assert list(selectors.awaiting_review(company.alice)) == []


# ------------------------------------------------------------------------------------ permissions


def test_another_kams_plan_is_refused_at_every_door_and_nothing_changes(company, login):
    plan = full_plan(company)
    before = plan_state(plan)
    http = login(company.bob)
    pk = plan.pk
    for url in [
        reverse("accountplans:detail", args=[pk]),
        reverse("accountplans:pdf", args=[pk]),
        reverse("accountplans:pdf", args=[pk]) + "?copy=internal",
    ]:
        assert http.get(url).status_code == 404, url
    posts = {
        "strategy": {"strategy": "Mine now"},
        "objective_add": {"kind": "revenue", "target": "1"},
        "swot_add": {"kind": "threat", "text": "x"},
        "action_add": {"title": "x", "kind": "visit", "day": "2026-05-05"},
        "submit": {},
        "approve": {},
        "return": {"comment": "x"},
    }
    for name, data in posts.items():
        assert http.post(reverse(f"accountplans:{name}", args=[pk]), data).status_code in (403, 404), name
    objective = Objective.objects.get(plan=plan)
    url = reverse("accountplans:part_delete", args=[pk, "objective", objective.pk])
    assert http.post(url).status_code == 404
    export = http.get(reverse("accountplans:export") + "?fmt=csv")
    assert "Romashka" not in export.content.decode()
    listing = http.get(reverse("accountplans:list"))
    assert "Romashka" not in listing.content.decode()
    assert plan_state(plan) == before


def test_another_kams_plan_is_refused_in_the_api_and_nothing_changes(company, client):
    plan = full_plan(company)
    before = plan_state(plan)
    _token, raw = ApiToken.issue(company.bob, "test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    base = f"/api/account-plans/{plan.pk}"
    assert client.get(base, **auth).status_code == 404
    assert client.get(base + "/versions", **auth).status_code == 404
    assert client.post(base + "/submit", **auth).status_code == 404
    assert (
        client.post(
            base + "/objectives", {"kind": "revenue", "target": "5"}, content_type="application/json", **auth
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/account-plans",
            {"client_id": company.alice_client.pk, "year": 2030},
            content_type="application/json",
            **auth,
        ).status_code
        == 404
    )
    listed = client.get("/api/account-plans", **auth).json()
    assert listed["count"] == 0
    assert plan_state(plan) == before


@pytest.mark.parametrize("who", ["sam", "fiona", "adam"])
def test_roles_without_plans_get_no_page(company, login, who):
    http = login(getattr(company, who))
    assert http.get(reverse("accountplans:list")).status_code == 403
    assert http.get(reverse("accountplans:create")).status_code == 403


def test_the_head_sees_the_departments_plans_and_the_director_all(company):
    a, c = full_plan(company), full_plan(company, company.carol_client)
    assert list(selectors.plan_list(company.hannah)) == [a]
    assert list(selectors.plan_list(company.hugo)) == [c]
    assert set(selectors.plan_list(company.diana)) == {a, c}
    assert list(selectors.plan_list(company.bob)) == []


def test_a_deputy_works_on_the_absent_kams_plan(company):
    from kam.access.models import Deputy

    plan = full_plan(company)
    today = timezone.localdate()
    Deputy.objects.create(absent=company.alice, deputy=company.bob, starts_on=today, ends_on=today)
    services.swot_add(actor=company.bob, plan=plan, kind="strength", text="Long history")
    assert SwotItem.objects.filter(plan=plan).count() == 1


# ------------------------------------------------------------------------------------------- API


def test_the_api_creates_fills_submits_and_decides(company, client):
    def auth(user):
        _token, raw = ApiToken.issue(user, "test")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    alice, hannah = auth(company.alice), auth(company.hannah)
    product("P-1")
    made = client.post(
        "/api/account-plans",
        {"client_id": company.alice_client.pk, "year": 2026, "strategy": "Grow"},
        content_type="application/json",
        **alice,
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    added = client.post(
        f"/api/account-plans/{pk}/objectives",
        {"kind": "product", "product_code": "P-1"},
        content_type="application/json",
        **alice,
    )
    assert added.status_code == 201 and added.json()["objectives"][0]["product_code"] == "P-1"
    assert client.post(f"/api/account-plans/{pk}/submit", **alice).json()["status"] == "submitted"
    refused = client.post(
        f"/api/account-plans/{pk}/decision", {"approve": True}, content_type="application/json", **alice
    )
    assert refused.status_code == 404
    decided = client.post(
        f"/api/account-plans/{pk}/decision",
        {"approve": False, "comment": "Add revenue"},
        content_type="application/json",
        **hannah,
    )
    assert decided.json()["status"] == "returned"
    versions = client.get(f"/api/account-plans/{pk}/versions", **alice).json()
    assert [(v["number"], v["decision"]) for v in versions] == [(1, "returned")]
    twice = client.post(
        "/api/account-plans",
        {"client_id": company.alice_client.pk, "year": 2026},
        content_type="application/json",
        **alice,
    )
    assert twice.status_code == 422


# ------------------------------------------------------------------------------------ pages, PDF, export


def _pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return subprocess.run(
            ["pdftotext", "-layout", f.name, "-"], capture_output=True, check=True, text=True
        ).stdout


def test_the_client_copy_of_the_pdf_leaves_out_the_internal_parts(company, login):
    plan = full_plan(company)
    services.objective_add(actor=company.alice, plan=plan, kind="margin", target=Decimal("300000"))
    for kind, text in [
        ("strength", "Ромашка ценит быструю доставку"),
        ("weakness", "Slow warehouse"),
        ("opportunity", "New plant in Tula"),
        ("threat", "Competitor dumping"),
    ]:
        services.swot_add(actor=company.alice, plan=plan, kind=kind, text=text)
    anna = Stakeholder.objects.create(
        client=company.alice_client, full_name="Anna Sokolova", attitude="opponent"
    )
    services.goal_add(
        actor=company.alice, plan=plan, stakeholder=anna, target_attitude="neutral", due_on=date(2026, 9, 1)
    )
    http = login(company.alice)
    response = http.get(reverse("accountplans:pdf", args=[plan.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "Ромашка ценит быструю доставку" in text  # Cyrillic survives
    assert "New plant in Tula" in text and "Revenue" in text and "Grow with the new plant" in text
    for secret in ["Slow warehouse", "Competitor dumping", "Anna Sokolova", "Opponent", "INTERNAL", "Margin"]:
        assert secret not in text, secret

    internal = _pdf_text(http.get(reverse("accountplans:pdf", args=[plan.pk]) + "?copy=internal").content)
    for part in ["Slow warehouse", "Competitor dumping", "Anna Sokolova", "Opponent", "INTERNAL", "Margin"]:
        assert part in internal, part
    assert LogEntry.objects.filter(additional_data__door="pdf").count() == 2


def test_the_export_opens_in_excel_and_is_audited(company, login):
    from openpyxl import load_workbook

    Ledger().sale(company.alice_client, date(2026, 2, 1), "300000.00").save()
    full_plan(company)
    mark_key(company.alice_client)
    http = login(company.hannah)
    response = http.get(reverse("accountplans:export") + "?year=2026")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("Client", "INN", "Year", "Status")
    assert rows[1][0] == "Romashka" and rows[1][2] == 2026 and rows[1][6] == "yes"
    assert Decimal(str(rows[1][7])) == Decimal("1200000") and Decimal(str(rows[1][8])) == Decimal("300000")
    assert len(rows) == 2
    entry = LogEntry.objects.get(additional_data__kind="export")
    assert entry.actor == company.hannah and entry.additional_data["rows"] == 1


def test_the_list_filters_sorts_and_pages_with_a_constant_number_of_queries(
    company, login, django_assert_max_num_queries
):
    for year in (2024, 2025, 2026):
        full_plan_year = make_plan(company.alice, company.alice_client, year)
        services.objective_add(actor=company.alice, plan=full_plan_year, kind="revenue", target=Decimal("10"))
    http = login(company.diana)
    url = reverse("accountplans:list")
    with django_assert_max_num_queries(14) as small:
        assert http.get(url).status_code == 200
    for i in range(12):
        other = make_client(company.bob, "", f"Client {i:02}")
        plan = make_plan(company.bob, other, 2026)
        services.objective_add(actor=company.bob, plan=plan, kind="revenue", target=Decimal("10"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = http.get(url + "?sort=client&year=2026")
    body = page.content.decode()
    assert body.index("Client 00") < body.index("Client 11") < body.index("Romashka")
    assert "2024" not in http.get(url + "?year=2026&q=Romashka").content.decode().split("plans-table")[1]
    filtered = http.get(url + f"?kam={company.alice.pk}&status=draft").content.decode()
    assert "Client 00" not in filtered and "Romashka" in filtered
    assert http.get(url + f"?department={company.south.pk}").content.decode().count("<tr>") == 0


def test_the_pages_open_for_the_kam_and_the_head(company, login):
    plan = full_plan(company)
    Stakeholder.objects.create(client=company.alice_client, full_name="Anna Sokolova")
    http = login(company.alice)
    detail = http.get(reverse("accountplans:detail", args=[plan.pk]))
    assert detail.status_code == 200 and b"objective-form" in detail.content
    assert http.get(reverse("accountplans:create") + f"?client={company.alice_client.pk}").status_code == 200
    assert (
        http.get(reverse("clients:dossier_tab", args=[company.alice_client.pk, "accountplan"])).status_code
        == 200
    )
    assert http.post(reverse("accountplans:submit", args=[plan.pk])).status_code == 302
    assert http.get(reverse("accountplans:version", args=[plan.pk, 1])).status_code == 200
    assert http.get(reverse("accountplans:version", args=[plan.pk, 9])).status_code == 404
    head = login(company.hannah)
    home = head.get(reverse("home")).content.decode()
    assert "accountplans-widget" in home and "Romashka" in home
    review = head.get(reverse("accountplans:review")).content.decode()
    assert "Romashka" in review
    assert head.post(reverse("accountplans:return", args=[plan.pk]), {"comment": ""}).status_code == 422
    assert head.post(reverse("accountplans:approve", args=[plan.pk])).status_code == 302
    assert AccountPlan.objects.get(pk=plan.pk).status == PlanStatus.APPROVED


def test_the_create_page_makes_a_plan_and_adds_parts_through_the_forms(company, login):
    product("P-9")
    http = login(company.alice)
    made = http.post(
        reverse("accountplans:create"), {"client": company.alice_client.pk, "year": 2026, "strategy": "Grow"}
    )
    assert made.status_code == 302
    plan = AccountPlan.objects.get()
    assert (
        http.post(
            reverse("accountplans:create"), {"client": company.carol_client.pk, "year": 2026}
        ).status_code
        == 200
    )
    assert AccountPlan.objects.count() == 1
    ok = http.post(
        reverse("accountplans:objective_add", args=[plan.pk]), {"kind": "product", "product": "P-9"}
    )
    assert ok.status_code == 302
    bad = http.post(
        reverse("accountplans:objective_add", args=[plan.pk]), {"kind": "product", "product": "NOPE"}
    )
    assert bad.status_code == 422
    action = http.post(
        reverse("accountplans:action_add", args=[plan.pk]),
        {"title": "Visit the plant", "kind": "visit", "day": "2026-05-05", "start": "11:00", "minutes": "90"},
    )
    assert action.status_code == 302
    activity = PlanAction.objects.get().activity
    assert activity is not None
    local = timezone.localtime(activity.planned_start)
    assert (local.date(), local.hour, activity.planned_end - activity.planned_start) == (
        date(2026, 5, 5),
        11,
        timedelta(minutes=90),
    )


def test_the_meeting_brief_shows_this_years_plan(company, login):
    year = timezone.localdate().year
    plan = make_plan(company.alice, company.alice_client, year)
    services.objective_add(actor=company.alice, plan=plan, kind="revenue", target=Decimal("777000"))
    start = timezone.now() + timedelta(days=1)
    visit = activity_services.activity_create(
        user=company.alice,
        client=company.alice_client,
        kind="visit",
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )
    page = login(company.alice).get(reverse("activities:brief", args=[visit.pk])).content.decode()
    assert f"Account plan {year}" in page and "777,000" in page
    pdf = login(company.alice).get(reverse("activities:brief_pdf", args=[visit.pk]))
    assert f"account plan {year}" in _pdf_text(pdf.content).lower()


def test_the_review_list_answers_in_constant_queries(company, login, django_assert_max_num_queries):
    def submit_one(i: int) -> None:
        other = make_client(company.bob, "", f"Review {i:02}")
        plan = make_plan(company.bob, other, 2026)
        services.objective_add(actor=company.bob, plan=plan, kind="revenue", target=Decimal("10"))
        services.plan_submit(actor=company.bob, plan=plan)

    submit_one(0)
    http = login(company.hannah)
    url = reverse("accountplans:review")
    with django_assert_max_num_queries(14) as few:
        assert "Review 00" in http.get(url).content.decode()
    for i in range(1, 8):
        submit_one(i)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "Review 07" in http.get(url).content.decode()
