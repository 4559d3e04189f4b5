"""Writes for the segment view: proposals and the head's decision. Rights are checked first."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Segment

from .models import ProposalStatus, SegmentProposal


@transaction.atomic
def proposal_create(*, actor: User, segment: str, data: dict[str, Any]) -> SegmentProposal:
    if not policy.can(actor, "segments.add_proposal"):
        raise PermissionDenied
    if segment not in Segment.values:
        raise ValidationError({"segment": [_("Unknown segment.")]})
    proposal = SegmentProposal(
        segment=segment,
        author=actor,
        title=(data.get("title") or "").strip(),
        text=data.get("text") or "",
        products=data.get("products") or "",
        price_change_pct=data.get("price_change_pct"),
    )
    if not proposal.title:
        raise ValidationError({"title": [_("Say in a few words what you propose.")]})
    proposal.full_clean()
    proposal.save()
    return proposal


@transaction.atomic
def proposal_decide(*, actor: User, proposal_id: int, accept: bool, note: str = "") -> SegmentProposal:
    proposal = SegmentProposal.objects.select_for_update().select_related("author").get(pk=proposal_id)
    if not policy.can(actor, "segments.decide_proposal", proposal):
        raise PermissionDenied
    if proposal.status != ProposalStatus.OPEN:
        raise ValidationError(_("This proposal has already been decided."))
    proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.decision_note = note
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return proposal
