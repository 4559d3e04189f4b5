"""Who sees and changes tenders: the sales side that sees the customer's dossier (a KAM their own and
deputised clients, a head their department, the director all); never sales support or finance.

The rules take a client, a tender, a lot (anything with `.tender` or `.client`), or nothing (may the user
use tenders at all).
"""

from __future__ import annotations

from typing import Any

import rules

from kam.access.models import User
from kam.access.policy import can_change_client, can_view_dossier, is_director, is_head, is_kam


def _tender_client(obj: Any) -> Any:
    tender = getattr(obj, "tender", None)
    return getattr(tender or obj, "client", obj)


@rules.predicate
def sees_tenders(user: User, obj: Any = None) -> bool:
    if not (is_director(user) or is_head(user) or is_kam(user)):
        return False
    return obj is None or bool(can_view_dossier(user, _tender_client(obj)))


@rules.predicate
def changes_tenders(user: User, obj: Any = None) -> bool:
    if not (is_director(user) or is_head(user) or is_kam(user)):
        return False
    return obj is None or bool(can_change_client(user, _tender_client(obj)))


rules.add_perm("tenders.view_tenders", sees_tenders)
rules.add_perm("tenders.change_tender", changes_tenders)
