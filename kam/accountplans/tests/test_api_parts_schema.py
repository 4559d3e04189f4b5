"""The plan-part endpoints (objectives, SWOT, goals, actions) against their OpenAPI schema, aimed at a real
plan and real parts so generated requests get past the 404s (the whole-API run in kam/core/tests/
test_api_schema.py has no plan ids). Same checks, bounded and derandomised."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings

from kam.access.models import ApiToken
from kam.accountplans import services
from kam.activities import services as activity_services
from kam.clients.models import Stakeholder
from kam.core.tests.test_api_schema import (  # noqa: F401 (the fixture keeps the test's transaction)
    CHECKS,
    _keep_the_test_transaction,
    schema,
)

from .helpers import make_plan, product

pytestmark = pytest.mark.django_db

parts = schema.include(path_regex=r"account-plans/\{plan_id\}/(objectives|swot|goals|actions)")
_turn = itertools.count()


@pytest.fixture
def plan_ids(company) -> dict[str, list[int]]:
    alice = company.alice
    plan = make_plan(alice, company.alice_client, year=timezone.localdate().year)
    product("P-1")
    objective = services.objective_add(actor=alice, plan=plan, kind="revenue", target=Decimal("100"))
    swot = services.swot_add(actor=alice, plan=plan, kind="strength", text="Fast")
    anna = Stakeholder.objects.create(client=company.alice_client, full_name="Anna", attitude="neutral")
    goal = services.goal_add(
        actor=alice, plan=plan, stakeholder=anna, target_attitude="champion", due_on=date(2026, 9, 1)
    )
    start = timezone.now()
    activity = activity_services.activity_create(
        user=alice,
        client=company.alice_client,
        kind="visit",
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )
    action = services.action_add(actor=alice, plan=plan, title="Visit", activity=activity)
    return {
        "plan_id": [plan.pk],
        "item_id": [objective.pk, swot.pk, goal.pk, action.pk],
        "stakeholder_id": list(
            Stakeholder.objects.filter(client=company.alice_client).values_list("pk", flat=True)
        ),
        "activity_id": [activity.pk],
    }


def _aim(case: Any, ids: dict[str, list[int]]) -> None:
    if next(_turn) % 2:
        return
    meta = case._meta
    if meta is not None and meta.generation.mode.is_negative:
        return
    for container in (case.path_parameters, case.body):
        if not isinstance(container, dict):
            continue
        for name, value in list(container.items()):
            if name in ids and isinstance(value, int) and not isinstance(value, bool):
                container[name] = ids[name][value % len(ids[name])]


@parts.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_plan_part_endpoints_answer_as_their_schema_says(case, company, plan_ids):
    _aim(case, plan_ids)
    _token, raw = ApiToken.issue(company.diana, "schemathesis")
    case.call_and_validate(headers={"Authorization": f"Bearer {raw}"}, checks=CHECKS)
