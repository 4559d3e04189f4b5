"""Segment view: KAMs, heads and the director (each over the clients they see). Proposals: a KAM sees their
own, a head their department's, the director all; the head of the author's department or the director
accepts or declines them."""

from __future__ import annotations

from typing import Any

import rules

from kam.access.policy import is_director, is_head, is_kam


@rules.predicate
def sees_proposal(user: Any, proposal: Any = None) -> bool:
    if not (is_director(user) or is_head(user) or is_kam(user)):
        return False
    if proposal is None or is_director(user):
        return True
    if proposal.author_id == user.pk:
        return True
    return (
        bool(is_head(user))
        and user.department_id is not None
        and (proposal.author.department_id == user.department_id)
    )


@rules.predicate
def decides_proposal(user: Any, proposal: Any = None) -> bool:
    if is_director(user):
        return True
    if not is_head(user) or user.department_id is None:
        return False
    return proposal is None or proposal.author.department_id == user.department_id


rules.add_perm("segments.view_segments", is_director | is_head | is_kam)
rules.add_perm("segments.add_proposal", is_director | is_head | is_kam)
rules.add_perm("segments.view_proposal", sees_proposal)
rules.add_perm("segments.decide_proposal", decides_proposal)
