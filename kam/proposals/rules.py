"""Who sees and changes commercial proposals (autodiscovered by django-rules).

A rule takes a proposal, its client, or nothing (may the user do it at all). A KAM works with the clients
they serve (own, on the account team, deputised), a head with the department's, the director with all;
sales support reads them (they turn accepted proposals into orders on the KAM's behalf).
"""

from __future__ import annotations

from typing import Any

import rules

from kam.access import policy
from kam.access.models import Role, User


def _client(obj: Any) -> Any:
    return getattr(obj, "client", obj)


@rules.predicate
def sees_proposals(user: User, obj: Any = None) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.role not in (Role.DIRECTOR, Role.HEAD, Role.KAM, Role.SALES_SUPPORT):
        return False
    if obj is None:
        return True
    client = _client(obj)
    return client is not None and policy.visible_clients(user).filter(pk=client.pk).exists()


@rules.predicate
def changes_proposals(user: User, obj: Any = None) -> bool:
    if obj is None:
        return bool(policy.is_director(user) or policy.is_head(user) or policy.is_kam(user))
    return bool(policy.can_change_client(user, _client(obj)))


rules.add_perm("proposals.view_proposals", sees_proposals)
rules.add_perm("proposals.change_proposal", changes_proposals)
rules.add_perm("proposals.manage_templates", policy.is_director | policy.is_head)
