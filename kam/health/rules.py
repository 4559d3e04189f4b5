"""Who sees and computes account health (autodiscovered by rules.apps.AutodiscoverRulesConfig).

As elsewhere: a KAM sees the health of own, team and deputised clients, a head the department's, the
director everything. Sales support and finance do not see it.
"""

from __future__ import annotations

from typing import Any

import rules

from kam.access.policy import can_change_client, can_view_dossier, is_director, is_head, is_kam


@rules.predicate
def sees_client_health(user: Any, client: Any = None) -> bool:
    if client is None:
        return bool(is_director(user) or is_head(user) or is_kam(user))
    return bool(can_view_dossier(user, client))


rules.add_perm("health.view_health", is_director | is_head | is_kam)
rules.add_perm("health.view_client", sees_client_health)
# Recomputing one client: whoever works on it; all key clients at once: heads and the director.
rules.add_perm("health.compute_client", can_change_client)
rules.add_perm("health.compute_all", is_director | is_head)
rules.add_perm("health.change_settings", is_director)
