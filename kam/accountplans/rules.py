"""Who sees, edits and approves account plans (autodiscovered by django-rules).

The rules take a plan, a client, or nothing (may the user do this at all):
- a KAM: plans of the clients they serve (own, account team, deputised);
- a head: the department's plans, and approves them;
- the director: every plan, and approves them.
Sales support, finance and the administrator see no plans.
"""

from __future__ import annotations

from typing import Any

import rules

from kam.access.policy import (
    can_change_client,
    can_view_dossier,
    heads_clients_department,
    is_director,
    is_head,
    is_kam,
)


def _client(obj: Any) -> Any:
    return getattr(obj, "client", obj)


@rules.predicate
def sees_plan(user: Any, obj: Any = None) -> bool:
    if not (is_director(user) or is_head(user) or is_kam(user)):
        return False
    return obj is None or bool(can_view_dossier(user, _client(obj)))


@rules.predicate
def changes_plan(user: Any, obj: Any = None) -> bool:
    if not (is_director(user) or is_head(user) or is_kam(user)):
        return False
    return obj is None or bool(can_change_client(user, _client(obj)))


@rules.predicate
def approves_plan(user: Any, obj: Any = None) -> bool:
    if obj is None:
        return bool(is_director(user) or is_head(user))
    return bool(is_director(user) or heads_clients_department(user, _client(obj)))


rules.add_perm("accountplans.view_plans", is_director | is_head | is_kam)
rules.add_perm("accountplans.view_plan", sees_plan)
rules.add_perm("accountplans.change_plan", changes_plan)
rules.add_perm("accountplans.approve_plan", approves_plan)
