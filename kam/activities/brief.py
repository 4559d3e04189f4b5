"""The meeting brief: one page assembled for a planned meeting, shown as HTML and as a PDF."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.access import policy
from kam.access.models import User
from kam.clients.dossier import stakeholder_rows
from kam.core import briefs

from . import conf, selectors
from .models import CHECKLIST, Activity


def keyness_of(client_id: int) -> dict[str, Any]:
    from kam.analytics.models import SnapshotClient
    from kam.analytics.selectors import latest_snapshot

    snapshot = latest_snapshot()
    row = SnapshotClient.objects.filter(snapshot=snapshot, client_id=client_id).first() if snapshot else None
    tier = "none" if row is None else "key" if row.is_key_any else row.abc or "C"
    return {"snapshot": snapshot, "row": row, "tier": tier, "every_days": conf.visit_every_days()[tier]}


# What the brief expects other modules to contribute; until a module registers a section whose name
# contains the key, the brief says that this part is not recorded in kam yet.
EXPECTED_SECTIONS = [
    ("order", _("Open orders")),
    ("receivable", _("Overdue debt")),
    ("contract", _("Contract obligations due")),
]


def missing_sections(names: list[str]) -> list[Any]:
    return [title for key, title in EXPECTED_SECTIONS if not any(key in name for name in names)]


def brief_context(user: User, activity: Activity) -> dict[str, Any]:
    client = activity.client
    sensitive = policy.can(user, "clients.view_sensitive", client)
    present = list(activity.stakeholders.order_by("-influence", "full_name"))
    sections = briefs.sections_for(client, user)
    claims = [s for s in sections if s.get("name") == "claims"]
    middle = [s for s in sections if s.get("name") != "claims"]
    presences = list(client.competitors.select_related("competitor").order_by("-estimated_share"))
    checklist = activity.checklist or {}
    return {
        "activity": activity,
        "client": client,
        "keyness": keyness_of(client.pk),
        "latest_financials": client.financials.order_by("-year").first(),
        "stakeholders": stakeholder_rows(present, sensitive=sensitive),
        "other_stakeholders": client.stakeholders.exclude(pk__in=[s.pk for s in present]).count(),
        "participants": list(activity.participants.all()),
        "competitors": presences,
        "competitors_share": sum((p.estimated_share for p in presences), 0),
        "sections": middle,
        "missing_sections": missing_sections([str(sec.get("name", "")) for sec in sections]),
        "claims_sections": claims,
        "interactions": selectors.last_interactions(user, client, exclude=activity.pk),
        "checklist": [(key, label, bool(checklist.get(key))) for key, label in CHECKLIST],
        "can_see_sensitive": sensitive,
        "generated_at": timezone.localtime(),
    }
