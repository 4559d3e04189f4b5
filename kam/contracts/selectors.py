"""Reads for contracts and claims. Every function takes the user and filters through kam.access.policy.

"Today" is the local date of the installation (Europe/Moscow by default, timezone.localdate()), so an
obligation due today in Moscow is not overdue yet even when it is already tomorrow nowhere else.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client
from kam.core.cache import per_request

from .models import OPEN_CLAIM_STATUSES, Claim, Clause, Contract, ContractStatus

BRIEF_HORIZON_DAYS = 14
RENEWABLE = (ContractStatus.ACTIVE,)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def visible_contracts(user: User) -> QuerySet[Contract]:
    if not policy.can(user, "contracts.view_contracts"):
        return Contract.objects.none()
    return policy.limit_to_visible_clients(Contract.objects.all(), user)


def contract_list(
    user: User, *, status: str = "", q: str = "", client_id: int | None = None
) -> QuerySet[Contract]:
    qs = visible_contracts(user).select_related("client", "owner")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(client__short_name__icontains=q)
            | Q(client__legal_name__icontains=q)
            | Q(client__tax_number__startswith=q)
            | Q(number__icontains=q)
            | Q(title__icontains=q)
        )
    if client_id:
        qs = qs.filter(client_id=client_id)
    return qs.annotate(
        open_clauses=Count("clauses", filter=Q(clauses__done_on__isnull=True)),
    ).order_by("ends_on", "pk")


def renewals_due(user: User, *, today: date | None = None) -> QuerySet[Contract]:
    """Active contracts whose end is within their notice period: today ≤ ends_on ≤ today + notice days."""
    day = _today(today)
    return (
        visible_contracts(user)
        .filter(status__in=RENEWABLE, ends_on__gte=day)
        .filter(_within_notice(day))
        .select_related("client", "owner")
        .order_by("ends_on", "pk")
    )


def _within_notice(day: date) -> Q:
    """ends_on ≤ day + renewal_notice_days, for the notice periods actually in use (one small query).

    Written without date arithmetic in SQL so that SQLite and PostgreSQL agree to the day."""
    # order_by(): the model's ordering would put ends_on and id into the DISTINCT (every row back).
    notices = per_request(
        ("contracts.notice_days", day),
        lambda: sorted(
            Contract.objects.filter(status__in=RENEWABLE, ends_on__gte=day)
            .order_by()
            .values_list("renewal_notice_days", flat=True)
            .distinct()
        ),
    )
    condition = Q(pk__in=[])
    for notice in notices:
        condition |= Q(renewal_notice_days=notice, ends_on__lte=day + timedelta(days=notice))
    return condition


def open_obligations(user: User) -> QuerySet[Clause]:
    return (
        Clause.objects.filter(
            contract__in=visible_contracts(user), done_on__isnull=True, due_on__isnull=False
        )
        .select_related("contract", "contract__client", "responsible")
        .order_by("due_on", "pk")
    )


def overdue_obligations(user: User, *, today: date | None = None) -> QuerySet[Clause]:
    return open_obligations(user).filter(due_on__lt=_today(today))


def obligations_due(
    user: User, *, today: date | None = None, days: int = BRIEF_HORIZON_DAYS
) -> QuerySet[Clause]:
    """Not done and due by today + days (overdue ones included)."""
    return open_obligations(user).filter(due_on__lte=_today(today) + timedelta(days=days))


def client_contracts(user: User, client: Client) -> QuerySet[Contract]:
    return contract_list(user, client_id=client.pk)


def contract_for(user: User, contract_id: int, perm: str = "contracts.view_contracts") -> Contract:
    """The contract if `user` holds `perm` on its client, else 404."""
    from django.http import Http404

    contract = Contract.objects.select_related("client", "owner").filter(pk=contract_id).first()
    if contract is None or not policy.can(user, perm, contract.client):
        raise Http404("No such contract")
    return contract


# ------------------------------------------------------------------------------------------ claims


def visible_claims(user: User) -> QuerySet[Claim]:
    if not policy.can(user, "contracts.view_claims"):
        return Claim.objects.none()
    return policy.limit_to_visible_clients(Claim.objects.all(), user)


def claim_list(
    user: User,
    *,
    status: str = "",
    kind: str = "",
    q: str = "",
    client_id: int | None = None,
    today: date | None = None,
) -> QuerySet[Claim]:
    """Overdue open claims first, then open by deadline, then closed ones, latest first."""
    day = _today(today)
    qs = visible_claims(user).select_related("client", "assigned_to")
    if status == "open_any":
        qs = qs.filter(status__in=OPEN_CLAIM_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(
            Q(client__short_name__icontains=q) | Q(client__legal_name__icontains=q) | Q(subject__icontains=q)
        )
    if client_id:
        qs = qs.filter(client_id=client_id)
    rank = Case(
        When(status__in=OPEN_CLAIM_STATUSES, deadline__lt=day, then=Value(0)),
        When(status__in=OPEN_CLAIM_STATUSES, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank).order_by("rank", F("deadline").asc(nulls_last=True), "-registered_on", "pk")


def open_claims(user: User, client: Client) -> QuerySet[Claim]:
    return claim_list(user, status="open_any", client_id=client.pk)


def claim_for(user: User, claim_id: int, perm: str = "contracts.view_claims") -> Claim:
    from django.http import Http404

    claim = Claim.objects.select_related("client", "assigned_to").filter(pk=claim_id).first()
    if claim is None or not policy.can(user, perm, claim.client):
        raise Http404("No such claim")
    return claim
