"""Reads of the pipeline, always through the access policy."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client

from .models import STAGE_ORDER, ClientLink, LinkKind, Opportunity, Stage, StageChange, Status


def visible_opportunities(user: User) -> QuerySet[Opportunity]:
    if not policy.can(user, "pipeline.view_pipeline"):
        return Opportunity.objects.none()
    return policy.limit_to_visible_clients(Opportunity.objects.all(), user)


def get_opportunity_for_user(user: User, pk: int, perm: str = "pipeline.view_opportunity") -> Opportunity:
    """The opportunity if `user` holds `perm` on it; otherwise 404."""
    from django.http import Http404

    opportunity = Opportunity.objects.select_related("client", "owner", "client__owner").filter(pk=pk).first()
    if opportunity is None or not policy.can(user, perm, opportunity):
        raise Http404("No such opportunity")
    return opportunity


def pipeline_kams(user: User) -> list[User]:
    """KAMs whose opportunities the user may filter by (the owners seen in the user's pipeline)."""
    ids = visible_opportunities(user).values("owner_id")
    return list(User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "username"))


@dataclass
class Column:
    stage: str
    label: Any
    cards: list[Opportunity] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.cards), Decimal("0"))

    @property
    def weighted(self) -> Decimal:
        return sum((c.weighted for c in self.cards), Decimal("0"))


def board(user: User, kam_id: int | None = None) -> list[Column]:
    """Open opportunities by stage, in stage order (two queries whatever their number)."""
    qs = visible_opportunities(user).filter(status=Status.OPEN)
    if kam_id:
        qs = qs.filter(owner_id=kam_id)
    qs = qs.select_related("client", "owner").order_by("expected_on", "pk")
    columns = {stage: Column(stage, label) for stage, label in Stage.choices}
    for opportunity in qs:
        columns[opportunity.stage].cards.append(opportunity)
    return [columns[s] for s in STAGE_ORDER]


def history(opportunity: Opportunity) -> QuerySet[StageChange]:
    return opportunity.stage_changes.select_related("changed_by").order_by("changed_at", "pk")


# ------------------------------------------------------------------ weighted forecast


def period_key(day: date, period: str) -> date:
    """The first day of the month or quarter `day` falls in."""
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, day.month, 1)


def periods_of_year(year: int, period: str) -> list[date]:
    step = 3 if period == "quarter" else 1
    return [date(year, m, 1) for m in range(1, 13, step)]


@dataclass
class ForecastRow:
    kam: User
    cells: list[Decimal]
    total: Decimal
    count: int


@dataclass
class Forecast:
    period: str
    year: int
    periods: list[date]
    rows: list[ForecastRow]
    totals: list[Decimal]
    total: Decimal

    @property
    def labels(self) -> list[str]:
        if self.period == "quarter":
            return [f"Q{(p.month - 1) // 3 + 1} {p.year}" for p in self.periods]
        return [f"{p.month:02d}.{p.year}" for p in self.periods]


def weighted_forecast(user: User, year: int, period: str = "month", kam_id: int | None = None) -> Forecast:
    """Σ amount × probability / 100 of open opportunities by KAM and month/quarter of the expected date.

    Exact in Decimal (kopecks × integer percent / 100 needs no rounding: at most four decimal places).
    """
    if period not in ("month", "quarter"):
        period = "month"
    periods = periods_of_year(year, period)
    index = {p: i for i, p in enumerate(periods)}
    qs = visible_opportunities(user).filter(
        status=Status.OPEN, expected_on__gte=date(year, 1, 1), expected_on__lte=date(year, 12, 31)
    )
    if kam_id:
        qs = qs.filter(owner_id=kam_id)
    sums: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal("0")] * len(periods))
    counts: dict[int, int] = defaultdict(int)
    for owner_id, amount, probability, expected_on in qs.values_list(
        "owner_id", "amount", "probability", "expected_on"
    ):
        sums[owner_id][index[period_key(expected_on, period)]] += amount * probability / 100
        counts[owner_id] += 1
    kams = {k.pk: k for k in User.objects.filter(pk__in=list(sums))}
    rows = [
        ForecastRow(kams[pk], cells, sum(cells, Decimal("0")), counts[pk])
        for pk, cells in sorted(sums.items(), key=lambda kv: str(kams[kv[0]]))
    ]
    totals = [sum((r.cells[i] for r in rows), Decimal("0")) for i in range(len(periods))]
    return Forecast(period, year, periods, rows, totals, sum(totals, Decimal("0")))


# ------------------------------------------------------------------ client groups

OWNERSHIP = (LinkKind.SUBSIDIARY, LinkKind.BRANCH)


def _ownership_edges() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for parent_id, child_id in ClientLink.objects.filter(kind__in=OWNERSHIP).values_list(
        "parent_id", "child_id"
    ):
        children[parent_id].append(child_id)
    return children


def group_members() -> dict[int, list[int]]:
    """Top parent id → ids of the whole group (the parent first), ownership links only."""
    children = _ownership_edges()
    child_ids = {c for kids in children.values() for c in kids}
    groups: dict[int, list[int]] = {}
    for top in children:
        if top in child_ids:
            continue
        members: list[int] = []
        stack = [top]
        while stack:
            current = stack.pop()
            if current in members:
                continue
            members.append(current)
            stack.extend(reversed(children.get(current, [])))
        groups[top] = members
    return groups


def group_of(client: Client) -> list[int]:
    """The ids of the group the client belongs to (empty when it is in none)."""
    for members in group_members().values():
        if client.pk in members:
            return members
    return []


@dataclass
class GroupShare:
    top: Client
    members: list[Client]
    basis: int
    total: int
    is_key: bool

    @property
    def share(self) -> Decimal | None:
        return Decimal(self.basis) / Decimal(self.total) if self.total else None


def _key_num(snapshot: Any) -> int:
    raw = Decimal(str((snapshot.settings or {}).get("key_share", "0.10")))
    num = raw * 10000
    if num != num.to_integral_value():
        raise ValueError(f"key_share {raw} has more than four decimal places")
    return int(num)


def group_shares(snapshot: Any, user: User | None = None) -> list[GroupShare]:
    """Each group's combined basis in the snapshot; key when Σ basis × 10 000 ≥ total × key_num (integers).

    With `user`, only the groups with at least one member the user may see are listed.
    """
    from kam.analytics.models import SnapshotClient

    groups = group_members()
    all_ids = {i for members in groups.values() for i in members}
    basis = dict(
        SnapshotClient.objects.filter(snapshot=snapshot, client_id__in=all_ids).values_list(
            "client_id", "basis"
        )
    )
    clients = Client.objects.in_bulk(list(all_ids))
    visible: set[int] | None = None
    if user is not None:
        visible = set(policy.visible_clients(user).filter(pk__in=all_ids).values_list("pk", flat=True))
    total = int(snapshot.total_basis)
    key_num = _key_num(snapshot)
    result = []
    for top, members in groups.items():
        if visible is not None and not visible.intersection(members):
            continue
        combined = sum(int(basis.get(m, 0)) for m in members)
        result.append(
            GroupShare(
                top=clients[top],
                members=[clients[m] for m in members],
                basis=combined,
                total=total,
                is_key=total > 0 and combined * 10000 >= total * key_num,
            )
        )
    result.sort(key=lambda g: (-g.basis, g.top.short_name))
    return result


@dataclass
class TreeNode:
    client: Client
    kind: str
    depth: int
    visible: bool
    link_id: int | None = None

    @property
    def kind_label(self) -> str:
        return str(LinkKind(self.kind).label) if self.kind else ""


def group_tree(user: User, client: Client) -> list[TreeNode]:
    """The client's group, indented, from the top parent; clients the user may not see stay unnamed."""
    members = group_of(client)
    if not members:
        return []
    links = {
        link.child_id: link
        for link in ClientLink.objects.filter(kind__in=OWNERSHIP, child_id__in=members).select_related(
            "child"
        )
    }
    clients = Client.objects.in_bulk(members)
    visible = set(policy.visible_clients(user).filter(pk__in=members).values_list("pk", flat=True))
    children = _ownership_edges()
    nodes: list[TreeNode] = []

    def walk(pk: int, depth: int) -> None:
        link = links.get(pk)
        nodes.append(
            TreeNode(clients[pk], link.kind if link else "", depth, pk in visible, link.pk if link else None)
        )
        for child in children.get(pk, []):
            walk(child, depth + 1)

    walk(members[0], 0)
    return nodes


def distributor_links(client: Client) -> dict[str, QuerySet[ClientLink]]:
    return {
        "serves": ClientLink.objects.filter(parent=client, kind=LinkKind.DISTRIBUTOR).select_related("child"),
        "served_by": ClientLink.objects.filter(child=client, kind=LinkKind.DISTRIBUTOR).select_related(
            "parent"
        ),
    }
