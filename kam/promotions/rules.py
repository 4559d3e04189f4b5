"""Who sees and runs promotions. The director and finance see every programme; a head sees the company-wide
ones, their department's and any with a client of their department; a KAM sees the programmes that cover
one of their clients. The director creates and changes any programme, a head those of their department."""

from __future__ import annotations

from typing import Any

import rules

from kam.access.policy import is_director, is_finance, is_head, is_kam


@rules.predicate
def sees_promotion(user: Any, promotion: Any = None) -> bool:
    if not (is_director(user) or is_head(user) or is_kam(user) or is_finance(user)):
        return False
    if promotion is None:
        return True
    from .selectors import promotions_for

    return promotions_for(user).filter(pk=promotion.pk).exists()


@rules.predicate
def changes_promotion(user: Any, promotion: Any = None) -> bool:
    if is_director(user):
        return True
    if not is_head(user) or user.department_id is None:
        return False
    return promotion is None or promotion.department_id == user.department_id


rules.add_perm("promotions.view_promotions", sees_promotion)
rules.add_perm("promotions.change_promotion", changes_promotion)
