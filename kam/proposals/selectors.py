"""Reads for commercial proposals, always through the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from kam.access import policy
from kam.access.models import User

from .models import OPEN_STATUSES, Proposal, ProposalStatus, ProposalTemplate, ProposalVersion

VIEW = "proposals.view_proposals"
SORTS = {
    "number": ("year", "seq"),
    "-number": ("-year", "-seq"),
    "client": ("client__short_name", "id"),
    "-client": ("-client__short_name", "-id"),
    "total": ("total", "id"),
    "-total": ("-total", "-id"),
    "valid": ("valid_until", "id"),
    "-valid": ("-valid_until", "-id"),
    "status": ("status", "id"),
    "-status": ("-status", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
DEFAULT_SORT = "-created"


def proposals_for_user(
    user: User,
    *,
    q: str = "",
    status: str = "",
    kam_id: int | None = None,
    client_id: int | None = None,
    sort: str = DEFAULT_SORT,
) -> QuerySet[Proposal]:
    if not policy.can(user, VIEW):
        return Proposal.objects.none()
    qs = Proposal.objects.filter(client__in=policy.visible_clients(user)).select_related(
        "client", "kam", "order"
    )
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in ProposalStatus.values:
        qs = qs.filter(status=status)
    if kam_id:
        qs = qs.filter(kam_id=kam_id)
    if client_id:
        qs = qs.filter(client_id=client_id)
    term = q.strip()
    if term:
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(client__search_name__contains=term.upper())
            | Q(client__tax_number__startswith=term)
        )
    return qs.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def proposal_for_user(user: User, proposal_id: int) -> Proposal:
    proposal = (
        Proposal.objects.select_related("client", "client__department", "client__owner", "kam", "order")
        .select_related("template", "opportunity")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or not policy.can(user, VIEW, proposal):
        raise Http404("No such proposal")
    return proposal


def version_of(proposal: Proposal, number: int | None = None) -> ProposalVersion:
    version = (
        ProposalVersion.objects.select_related("created_by", "sent_by")
        .filter(proposal=proposal, number=number or proposal.version)
        .first()
    )
    if version is None:
        raise Http404("No such version")
    return version


def version_lines(version: ProposalVersion) -> list[Any]:
    return list(version.lines.select_related("product").order_by("position", "pk"))


def kams_in_scope(user: User) -> QuerySet[User]:
    """The KAMs whose proposals the user may see, for the filter."""
    return (
        User.objects.filter(proposals__client__in=policy.visible_clients(user))
        .distinct()
        .order_by("last_name", "first_name")
    )


def templates(*, active_only: bool = False) -> QuerySet[ProposalTemplate]:
    qs = ProposalTemplate.objects.all()
    return qs.filter(active=True) if active_only else qs


def open_proposals(user: User, client_id: int) -> QuerySet[Proposal]:
    return proposals_for_user(user, client_id=client_id, status="open")
