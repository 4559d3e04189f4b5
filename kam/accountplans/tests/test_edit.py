"""Editing a plan's parts in place (objectives, SWOT points, relationship goals, actions): the same rules as
adding them, at the service, on the pages and in the API; a refused or bad edit leaves the database as it
was."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kam.access.models import ApiToken
from kam.accountplans import services
from kam.accountplans.models import (
    AccountPlan,
    Objective,
    PlanAction,
    PlanStatus,
    PlanVersion,
    StakeholderGoal,
    SwotItem,
)
from kam.activities import services as activity_services
from kam.activities.models import Activity
from kam.clients.models import Stakeholder

from .helpers import make_plan, product

pytestmark = pytest.mark.django_db

PARTS = ["objective", "swot", "goal", "action"]


def state(plan: AccountPlan) -> tuple:
    """Everything an edit could touch: the plan's row and every part's values."""
    p = AccountPlan.objects.get(pk=plan.pk)
    return (
        p.status,
        p.strategy,
        p.updated_at,
        list(
            Objective.objects.filter(plan=p).order_by("pk").values_list("kind", "target", "product", "note")
        ),
        list(SwotItem.objects.filter(plan=p).order_by("pk").values_list("kind", "text")),
        list(
            StakeholderGoal.objects.filter(plan=p)
            .order_by("pk")
            .values_list("stakeholder", "from_attitude", "target_attitude", "due_on", "note")
        ),
        list(PlanAction.objects.filter(plan=p).order_by("pk").values_list("title", "activity")),
        PlanVersion.objects.filter(plan=p).count(),
        Activity.objects.count(),
    )


def visit(company, days: int = 10) -> Activity:
    start = timezone.now().replace(month=6, day=15) + timedelta(days=days)
    return activity_services.activity_create(
        user=company.alice,
        client=company.alice_client,
        kind="visit",
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )


@pytest.fixture
def plan(company) -> AccountPlan:
    """Alice's plan of this year with one of each part (and a second activity free to link)."""
    alice = company.alice
    plan = make_plan(alice, company.alice_client, year=timezone.localdate().year, strategy="Grow")
    services.objective_add(actor=alice, plan=plan, kind="revenue", target=Decimal("1000000"))
    services.swot_add(actor=alice, plan=plan, kind="strength", text="Fast deliveries")
    anna = Stakeholder.objects.create(
        client=company.alice_client, full_name="Anna Sokolova", attitude="neutral", decision_role="kol"
    )
    services.goal_add(
        actor=alice, plan=plan, stakeholder=anna, target_attitude="supporter", due_on=date(2026, 9, 1)
    )
    services.action_add(actor=alice, plan=plan, title="Visit the plant", activity=visit(company, 1))
    visit(company, 2)
    return AccountPlan.objects.get(pk=plan.pk)


def ids(plan: AccountPlan) -> dict[str, int]:
    return {
        "objective": Objective.objects.get(plan=plan).pk,
        "swot": SwotItem.objects.get(plan=plan).pk,
        "goal": StakeholderGoal.objects.get(plan=plan).pk,
        "action": PlanAction.objects.get(plan=plan).pk,
    }


def edit_url(plan: AccountPlan, part: str, item_id: int) -> str:
    return reverse("accountplans:part_edit", args=[plan.pk, part, item_id])


def good_post(company, plan: AccountPlan, part: str) -> dict[str, str]:
    if part == "objective":
        return {"kind": "margin", "target": "250000", "product": "", "note": "After the price rise"}
    if part == "swot":
        return {"kind": "opportunity", "text": "New plant in Tula"}
    if part == "goal":
        anna = Stakeholder.objects.get(full_name="Anna Sokolova")
        return {
            "stakeholder": str(anna.pk),
            "target_attitude": "champion",
            "due_on": "2026-11-30",
            "note": "x",
        }
    free = Activity.objects.exclude(plan_actions__plan=plan).get(client=plan.client)
    return {"title": "Visit the new plant", "activity": str(free.pk)}


# ------------------------------------------------------------------------------------------ services


def test_each_part_is_changed_in_place_and_the_plan_is_touched(company, plan):
    alice, part = company.alice, ids(plan)
    touched = plan.updated_at
    p1 = product("P-1")
    services.objective_update(
        actor=alice, plan=plan, item_id=part["objective"], kind="product", target=Decimal(5), product=p1
    )
    services.swot_update(
        actor=alice, plan=plan, item_id=part["swot"], kind="weakness", text=" Slow warehouse "
    )
    goal = StakeholderGoal.objects.get(pk=part["goal"])
    services.goal_update(
        actor=alice,
        plan=plan,
        item_id=goal.pk,
        stakeholder=goal.stakeholder,
        target_attitude="champion",
        due_on=date(2026, 12, 1),
        note="Invite to the factory",
    )
    other = Activity.objects.exclude(plan_actions__pk=part["action"]).get()
    services.action_update(
        actor=alice, plan=plan, item_id=part["action"], title="Show the line", activity=other
    )

    objective = Objective.objects.get(pk=part["objective"])
    assert (objective.kind, objective.target, objective.product) == ("product", None, p1)  # target dropped
    assert SwotItem.objects.filter(pk=part["swot"]).values_list("kind", "text").get() == (
        "weakness",
        "Slow warehouse",
    )
    goal.refresh_from_db()
    assert (goal.from_attitude, goal.target_attitude, goal.due_on) == (
        "neutral",
        "champion",
        date(2026, 12, 1),
    )
    action = PlanAction.objects.get(pk=part["action"])
    assert (action.title, action.activity) == ("Show the line", other)
    assert Activity.objects.count() == 2  # the activity left stays in the schedule
    plan.refresh_from_db()
    assert plan.updated_at > touched and plan.status == PlanStatus.DRAFT


def test_an_objective_edit_keeps_the_rules_of_adding_one(company, plan):
    alice, part = company.alice, ids(plan)
    p1, p2 = product("P-1"), product("P-2")
    services.objective_add(actor=alice, plan=plan, kind="product", product=p1)
    before = state(plan)
    item = part["objective"]
    bad = [
        {"kind": "wallet", "target": Decimal(30)},  # the client has no category budget
        {"kind": "revenue", "target": None},
        {"kind": "product", "product": None},
        {"kind": "product", "product": p1},  # already an objective
        {"kind": "nonsense", "target": Decimal(1)},
    ]
    for kwargs in bad:
        with pytest.raises(ValidationError):
            services.objective_update(actor=alice, plan=plan, item_id=item, **kwargs)  # type: ignore[arg-type]
    company.alice_client.category_budget = Decimal("1000000")
    company.alice_client.save()
    with pytest.raises(ValidationError) as exc:
        services.objective_update(actor=alice, plan=plan, item_id=item, kind="wallet", target=Decimal(101))
    assert "at most 100" in exc.value.message_dict["target"][0]
    assert state(plan) == before
    # The product objective may keep its own product while its note changes.
    own = Objective.objects.get(plan=plan, product=p1)
    services.objective_update(actor=alice, plan=plan, item_id=own.pk, kind="product", product=p1, note="Q3")
    services.objective_update(actor=alice, plan=plan, item_id=own.pk, kind="product", product=p2)
    assert Objective.objects.get(pk=own.pk).product == p2


def test_a_goal_edit_keeps_the_attitude_when_set_and_another_person_starts_from_now(company, plan):
    alice, part = company.alice, ids(plan)
    goal = StakeholderGoal.objects.get(pk=part["goal"])
    anna = goal.stakeholder
    anna.attitude = "supporter"  # progress since the goal was set: the goal can still be edited
    anna.save()
    services.goal_update(
        actor=alice,
        plan=plan,
        item_id=goal.pk,
        stakeholder=anna,
        target_attitude="supporter",
        due_on=goal.due_on,
    )
    goal.refresh_from_db()
    assert (goal.from_attitude, goal.target_attitude) == ("neutral", "supporter")
    before = state(plan)
    ivan = Stakeholder.objects.get(full_name="Ivan Petrov")  # a supporter now
    stranger = Stakeholder.objects.create(client=company.bob_client, full_name="Boris")
    for person, target in [(anna, "neutral"), (ivan, "supporter"), (stranger, "champion"), (anna, "fan")]:
        with pytest.raises(ValidationError):
            services.goal_update(
                actor=alice,
                plan=plan,
                item_id=goal.pk,
                stakeholder=person,
                target_attitude=target,
                due_on=goal.due_on,
            )
    assert state(plan) == before
    services.goal_add(
        actor=alice, plan=plan, stakeholder=ivan, target_attitude="champion", due_on=goal.due_on
    )
    before = state(plan)
    with pytest.raises(ValidationError) as exc:
        services.goal_update(
            actor=alice,
            plan=plan,
            item_id=goal.pk,
            stakeholder=ivan,
            target_attitude="champion",
            due_on=goal.due_on,
        )
    assert "already has a goal" in exc.value.message_dict["stakeholder"][0]
    assert state(plan) == before
    petr = Stakeholder.objects.create(client=company.alice_client, full_name="Petr", attitude="opponent")
    services.goal_update(
        actor=alice,
        plan=plan,
        item_id=goal.pk,
        stakeholder=petr,
        target_attitude="neutral",
        due_on=goal.due_on,
    )
    goal.refresh_from_db()
    assert (goal.stakeholder, goal.from_attitude) == (petr, "opponent")


def test_an_action_edit_relinks_or_unlinks_its_activity_within_the_rules(company, plan):
    alice, part = company.alice, ids(plan)
    action = PlanAction.objects.get(pk=part["action"])
    start = timezone.now()
    foreign = activity_services.activity_create(
        user=company.bob,
        client=company.bob_client,
        kind="call",
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )
    free = Activity.objects.filter(client=company.alice_client).exclude(plan_actions=action).get()
    services.action_add(actor=alice, plan=plan, title="Second", activity=free)
    before = state(plan)
    for title, activity in [("  ", action.activity), ("Steal", foreign), ("Twice", free)]:
        with pytest.raises(ValidationError):
            services.action_update(actor=alice, plan=plan, item_id=action.pk, title=title, activity=activity)
    assert state(plan) == before
    services.action_update(
        actor=alice, plan=plan, item_id=action.pk, title="Renamed", activity=action.activity
    )
    services.action_update(actor=alice, plan=plan, item_id=action.pk, title="Renamed", activity=None)
    action.refresh_from_db()
    assert (action.title, action.activity) == ("Renamed", None)
    assert Activity.objects.filter(client=company.alice_client).count() == 2


def test_a_part_of_another_plan_or_a_removed_one_is_not_edited(company, plan):
    other = make_plan(company.alice, company.alice_client, year=2020)
    before = state(plan), state(other)
    with pytest.raises(ValidationError):
        services.swot_update(
            actor=company.alice, plan=other, item_id=ids(plan)["swot"], kind="threat", text="x"
        )
    item = ids(plan)["objective"]
    Objective.objects.filter(pk=item).delete()
    before = state(plan), state(other)
    with pytest.raises(ValidationError) as exc:
        services.objective_update(
            actor=company.alice, plan=plan, item_id=item, kind="revenue", target=Decimal(1)
        )
    assert "no longer in the plan" in exc.value.messages[0]
    assert (state(plan), state(other)) == before


@pytest.mark.parametrize("who", ["bob", "carol", "hugo", "sam", "fiona", "adam"])
def test_who_may_not_change_the_plan_may_not_edit_its_parts(company, plan, who):
    user, part = getattr(company, who), ids(plan)
    before = state(plan)
    with pytest.raises(PermissionDenied):
        services.swot_update(actor=user, plan=plan, item_id=part["swot"], kind="threat", text="Mine")
    with pytest.raises(PermissionDenied):
        services.objective_update(
            actor=user, plan=plan, item_id=part["objective"], kind="revenue", target=Decimal(1)
        )
    with pytest.raises(PermissionDenied):
        services.action_update(actor=user, plan=plan, item_id=part["action"], title="Mine", activity=None)
    goal = StakeholderGoal.objects.get(pk=part["goal"])
    with pytest.raises(PermissionDenied):
        services.goal_update(
            actor=user,
            plan=plan,
            item_id=goal.pk,
            stakeholder=goal.stakeholder,
            target_attitude="champion",
            due_on=goal.due_on,
        )
    assert state(plan) == before


@pytest.mark.parametrize("who", ["hannah", "diana"])
def test_the_head_and_the_director_edit_as_they_add(company, plan, who):
    services.swot_update(
        actor=getattr(company, who), plan=plan, item_id=ids(plan)["swot"], kind="threat", text="Dumping"
    )
    assert SwotItem.objects.get(plan=plan).text == "Dumping"


def test_a_submitted_plan_is_frozen_and_an_approved_one_reopens_as_a_draft(company, plan):
    alice, part = company.alice, ids(plan)
    services.plan_submit(actor=alice, plan=plan)
    before = state(plan)
    goal = StakeholderGoal.objects.get(pk=part["goal"])
    edits = [
        lambda: services.objective_update(
            actor=alice, plan=plan, item_id=part["objective"], kind="revenue", target=Decimal(5)
        ),
        lambda: services.swot_update(actor=alice, plan=plan, item_id=part["swot"], kind="threat", text="x"),
        lambda: services.goal_update(
            actor=alice,
            plan=plan,
            item_id=goal.pk,
            stakeholder=goal.stakeholder,
            target_attitude="champion",
            due_on=goal.due_on,
        ),
        lambda: services.action_update(
            actor=alice, plan=plan, item_id=part["action"], title="x", activity=None
        ),
    ]
    for edit in edits:
        with pytest.raises(ValidationError) as exc:
            edit()
        assert "waiting for the head's review" in exc.value.messages[0]
    assert state(plan) == before

    services.plan_approve(actor=company.hannah, plan=plan)
    # A bad edit of an approved plan does not reopen it.
    before = state(plan)
    with pytest.raises(ValidationError):
        services.swot_update(actor=alice, plan=plan, item_id=part["swot"], kind="threat", text="  ")
    assert state(plan) == before
    services.objective_update(
        actor=alice, plan=plan, item_id=part["objective"], kind="revenue", target=Decimal(5)
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    version = PlanVersion.objects.get(plan=plan)
    assert version.content["objectives"][0]["target"] == "1000000.00"  # the approved version stays frozen


# ------------------------------------------------------------------------------------------- pages


def test_every_row_has_an_edit_link_that_opens_its_form_filled_in(company, plan, login):
    http = login(company.alice)
    page = http.get(reverse("accountplans:detail", args=[plan.pk])).content.decode()
    for name, pk in ids(plan).items():
        assert f'href="{edit_url(plan, name, pk)}"' in page, name
        response = http.get(edit_url(plan, name, pk))
        assert response.status_code == 200, name
        assert 'id="part-edit-form"' in response.content.decode()
    assert "Fast deliveries" in http.get(edit_url(plan, "swot", ids(plan)["swot"])).content.decode()
    assert (
        'value="Visit the plant"' in http.get(edit_url(plan, "action", ids(plan)["action"])).content.decode()
    )


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_goal_edit_page_keeps_its_date_in_any_language(company, plan, login, lang):
    from django.conf import settings

    http = login(company.alice)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    html = http.get(edit_url(plan, "goal", ids(plan)["goal"])).content.decode()
    assert 'type="date"' in html and 'value="2026-09-01"' in html


@pytest.mark.parametrize("part", PARTS)
def test_the_edit_page_saves_and_goes_back_to_the_plan(company, plan, login, part):
    http = login(company.alice)
    before = state(plan)
    response = http.post(edit_url(plan, part, ids(plan)[part]), good_post(company, plan, part), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("accountplans:detail", args=[plan.pk]))
    assert "saved" in response.content.decode()
    after = state(plan)
    assert after != before and after[7:] == before[7:]  # no version, no activity made or lost


BAD_POSTS = {
    "objective": ({"kind": "wallet", "target": "30"}, "no budget for our category"),
    "swot": ({"kind": "strength", "text": "   "}, "This field is required"),
    "goal": ({"stakeholder": "", "target_attitude": "neutral", "due_on": "2026-13-01"}, "Enter a valid date"),
    "action": ({"title": "", "activity": "987654"}, "Select a valid choice"),
}


@pytest.mark.parametrize("part", PARTS)
def test_bad_input_leaves_the_plan_unchanged_and_says_why(company, plan, login, part):
    http = login(company.alice)
    before = state(plan)
    data, message = BAD_POSTS[part]
    response = http.post(edit_url(plan, part, ids(plan)[part]), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and 'class="msg-error"' in html
    assert state(plan) == before


def test_a_goal_aimed_at_a_colder_attitude_is_refused_with_the_services_message(company, plan, login):
    http = login(company.alice)
    before = state(plan)
    data = good_post(company, plan, "goal") | {"target_attitude": "neutral"}
    response = http.post(edit_url(plan, "goal", ids(plan)["goal"]), data)
    assert response.status_code == 422
    assert "aim for a warmer attitude" in response.content.decode()
    assert state(plan) == before


@pytest.mark.parametrize(
    "who,code", [("bob", 404), ("carol", 404), ("hugo", 404), ("sam", 403), ("fiona", 403)]
)
def test_another_kam_or_a_role_without_plans_cannot_open_or_post_an_edit_page(
    company, plan, login, who, code
):
    http = login(getattr(company, who))
    before = state(plan)
    for part, pk in ids(plan).items():
        assert http.get(edit_url(plan, part, pk)).status_code == code, part
        assert http.post(edit_url(plan, part, pk), good_post(company, plan, part)).status_code == code, part
    assert state(plan) == before


def test_an_unknown_part_or_a_part_of_another_plan_is_404(company, plan, login):
    other = make_plan(company.alice, company.alice_client, year=2020)
    http = login(company.alice)
    before = state(plan)
    assert http.get(edit_url(plan, "strategy", ids(plan)["swot"])).status_code == 404
    assert http.get(edit_url(plan, "swot", 987654)).status_code == 404
    response = http.post(edit_url(other, "swot", ids(plan)["swot"]), {"kind": "threat", "text": "x"})
    assert response.status_code == 404
    assert state(plan) == before


def test_a_submitted_plan_has_no_edit_links_and_its_edit_pages_refuse(company, plan, login):
    services.plan_submit(actor=company.alice, plan=plan)
    http = login(company.alice)
    assert "edit-part" not in http.get(reverse("accountplans:detail", args=[plan.pk])).content.decode()
    before = state(plan)
    for part, pk in ids(plan).items():
        response = http.post(edit_url(plan, part, pk), good_post(company, plan, part), follow=True)
        assert "it cannot be changed now" in response.content.decode(), part
        assert http.get(edit_url(plan, part, pk)).status_code == 302
    assert state(plan) == before


def test_editing_an_approved_plan_on_its_page_starts_a_new_draft(company, plan, login):
    services.plan_submit(actor=company.alice, plan=plan)
    services.plan_approve(actor=company.hannah, plan=plan)
    http = login(company.alice)
    form = http.get(edit_url(plan, "swot", ids(plan)["swot"])).content.decode()
    assert "A change starts a new draft version" in form
    response = http.post(
        edit_url(plan, "swot", ids(plan)["swot"]),
        {"kind": "strength", "text": "Same-day delivery"},
        follow=True,
    )
    assert "now a new draft" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and SwotItem.objects.get(plan=plan).text == "Same-day delivery"


# --------------------------------------------------------------------------------------------- API


def bearer(user) -> dict[str, str]:
    _token, raw = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def call(client, method: str, url: str, auth: dict[str, str], data: dict | None = None):
    kwargs: dict[str, Any] = {"content_type": "application/json", **auth}
    if data is not None:
        kwargs["data"] = data
    return getattr(client, method)(url, **kwargs)


def test_the_api_lists_adds_changes_and_removes_every_part(company, plan, client):
    alice = bearer(company.alice)
    base = f"/api/account-plans/{plan.pk}"
    part = ids(plan)
    product("P-9")

    objectives = call(client, "get", base + "/objectives", alice).json()
    assert [(o["id"], o["kind"], o["target"]) for o in objectives] == [
        (part["objective"], "revenue", "1000000.00")
    ]
    changed = call(client, "patch", f"{base}/objectives/{part['objective']}", alice, {"target": "2000000"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["objectives"][0]["target"] == "2000000.00"
    assert changed.json()["objectives"][0]["kind"] == "revenue"  # not sent: kept
    to_product = call(
        client,
        "patch",
        f"{base}/objectives/{part['objective']}",
        alice,
        {"kind": "product", "product_code": "P-9"},
    )
    assert to_product.json()["objectives"][0]["product_code"] == "P-9"

    swot = call(client, "get", base + "/swot", alice).json()
    assert swot == [{"id": part["swot"], "kind": "strength", "text": "Fast deliveries"}]
    added = call(client, "post", base + "/swot", alice, {"kind": "threat", "text": "Dumping"})
    assert added.status_code == 201 and added.json()["swot"]["threat"] == ["Dumping"]
    changed = call(client, "patch", f"{base}/swot/{part['swot']}", alice, {"text": "Same-day delivery"})
    assert changed.json()["swot"]["strength"] == ["Same-day delivery"]

    goals = call(client, "get", base + "/goals", alice).json()
    assert goals[0]["id"] == part["goal"] and goals[0]["target_attitude"] == "supporter"
    changed = call(
        client,
        "patch",
        f"{base}/goals/{part['goal']}",
        alice,
        {"target_attitude": "champion", "due_on": "2026-12-01"},
    )
    assert changed.status_code == 200, changed.content
    assert (
        changed.json()["stakeholder_goals"][0]["target_attitude"],
        changed.json()["stakeholder_goals"][0]["due_on"],
    ) == ("champion", "2026-12-01")
    ivan = Stakeholder.objects.get(full_name="Ivan Petrov")
    added = call(
        client,
        "post",
        base + "/goals",
        alice,
        {"stakeholder_id": ivan.pk, "target_attitude": "champion", "due_on": "2026-10-01"},
    )
    assert added.status_code == 201 and len(added.json()["stakeholder_goals"]) == 2

    actions = call(client, "get", base + "/actions", alice).json()
    assert [a["title"] for a in actions] == ["Visit the plant"]
    start = timezone.now() + timedelta(days=3)
    added = call(
        client,
        "post",
        base + "/actions",
        alice,
        {
            "title": "Call the buyer",
            "kind": "call",
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(minutes=30)).isoformat(),
        },
    )
    assert added.status_code == 201, added.content
    new = PlanAction.objects.get(plan=plan, title="Call the buyer")
    assert new.activity is not None and new.activity.kind == "call" and new.activity.owner == company.alice
    changed = call(
        client,
        "patch",
        f"{base}/actions/{part['action']}",
        alice,
        {"title": "Show the line", "activity_id": None},
    )
    assert changed.status_code == 200
    row = next(a for a in changed.json()["actions"] if a["id"] == part["action"])
    assert (row["title"], row["activity_id"]) == ("Show the line", None)

    for name, path in [
        ("objective", "objectives"),
        ("swot", "swot"),
        ("goal", "goals"),
        ("action", "actions"),
    ]:
        removed = call(client, "delete", f"{base}/{path}/{part[name]}", alice)
        assert removed.status_code == 204 and removed.content == b"", name
        assert call(client, "delete", f"{base}/{path}/{part[name]}", alice).status_code == 404, name
    assert not Objective.objects.filter(plan=plan).exists()
    assert list(SwotItem.objects.filter(plan=plan).values_list("text", flat=True)) == ["Dumping"]


def test_bad_api_input_is_422_and_changes_nothing(company, plan, client):
    alice = bearer(company.alice)
    base = f"/api/account-plans/{plan.pk}"
    part = ids(plan)
    bob_call = activity_services.activity_create(
        user=company.bob,
        client=company.bob_client,
        kind="call",
        planned_start=timezone.now(),
        planned_end=timezone.now() + timedelta(hours=1),
    )
    before = state(plan)
    bad: list[tuple[str, str, dict[str, Any]]] = [
        ("patch", f"{base}/objectives/{part['objective']}", {"kind": "wallet", "target": "30"}),
        ("patch", f"{base}/objectives/{part['objective']}", {"kind": None}),
        ("patch", f"{base}/objectives/{part['objective']}", {"product_code": "NO-SUCH", "kind": "product"}),
        ("patch", f"{base}/objectives/{part['objective']}", {"colour": "red"}),
        ("patch", f"{base}/swot/{part['swot']}", {"text": ""}),
        ("patch", f"{base}/swot/{part['swot']}", {"kind": "rumour"}),
        ("post", f"{base}/swot", {"kind": "threat", "text": "\u0000"}),
        ("patch", f"{base}/goals/{part['goal']}", {"target_attitude": "neutral"}),
        ("patch", f"{base}/goals/{part['goal']}", {"stakeholder_id": 987654}),
        (
            "post",
            f"{base}/goals",
            {
                "stakeholder_id": Stakeholder.objects.get(full_name="Anna Sokolova").pk,
                "target_attitude": "champion",
                "due_on": "2026-10-01",
            },
        ),
        ("patch", f"{base}/actions/{part['action']}", {"title": ""}),
        ("patch", f"{base}/actions/{part['action']}", {"activity_id": bob_call.pk}),
        ("post", f"{base}/actions", {"title": "No date", "kind": "visit"}),
        (
            "post",
            f"{base}/actions",
            {
                "title": "Naive",
                "kind": "visit",
                "planned_start": "2026-05-05T10:00:00",
                "planned_end": "2026-05-05T11:00:00",
            },
        ),
        (
            "post",
            f"{base}/actions",
            {
                "title": "Far",
                "kind": "visit",
                "planned_start": "9999-12-31T23:00:00-12:00",
                "planned_end": "9999-12-31T23:30:00-12:00",
            },
        ),
    ]
    for method, url, data in bad:
        response = call(client, method, url, alice, data)
        assert response.status_code == 422, (method, url, data, response.content)
        assert response.json()["message"] == "Invalid input"
    assert state(plan) == before
    assert Activity.objects.count() == before[-1]


def test_the_api_refuses_parts_of_a_plan_one_may_not_change_and_changes_nothing(company, plan, client):
    base = f"/api/account-plans/{plan.pk}"
    part = ids(plan)
    before = state(plan)
    paths = [
        ("objectives", part["objective"]),
        ("swot", part["swot"]),
        ("goals", part["goal"]),
        ("actions", part["action"]),
    ]
    for who, code in [("bob", 404), ("carol", 404), ("hugo", 404), ("sam", 403), ("fiona", 403)]:
        auth = bearer(getattr(company, who))
        for path, pk in paths:
            assert call(client, "get", f"{base}/{path}", auth).status_code == code, (who, path)
            assert call(
                client, "post", f"{base}/{path}", auth, {"kind": "threat", "text": "x"}
            ).status_code in (code, 422)
            assert call(client, "patch", f"{base}/{path}/{pk}", auth, {}).status_code == code, (who, path)
            assert call(client, "delete", f"{base}/{path}/{pk}", auth).status_code == code, (who, path)
    assert state(plan) == before


def test_the_api_keeps_a_submitted_plan_frozen_and_reopens_an_approved_one(company, plan, client):
    alice = bearer(company.alice)
    base = f"/api/account-plans/{plan.pk}"
    part = ids(plan)
    services.plan_submit(actor=company.alice, plan=plan)
    before = state(plan)
    for path, pk, data in [
        ("objectives", part["objective"], {"target": "5"}),
        ("swot", part["swot"], {"text": "x"}),
        ("goals", part["goal"], {"note": "x"}),
        ("actions", part["action"], {"title": "x"}),
    ]:
        response = call(client, "patch", f"{base}/{path}/{pk}", alice, data)
        assert response.status_code == 422, path
        assert "waiting for the head's review" in response.json()["errors"]["__all__"][0]
        assert call(client, "delete", f"{base}/{path}/{pk}", alice).status_code == 422, path
    assert state(plan) == before
    services.plan_approve(actor=company.hannah, plan=plan)
    reopened = call(client, "patch", f"{base}/swot/{part['swot']}", alice, {"text": "Same-day delivery"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "draft"
    assert reopened.json()["versions"] == [1]
