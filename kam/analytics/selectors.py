"""Reads of analysis snapshots, always cut down to the clients the user may see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Q, QuerySet

from kam.access import policy
from kam.access.models import Department, Role, User
from kam.clients.models import CLIENTS_GENERATION, Client
from kam.core.cache import DEFAULT_TTL, cached, generation, per_request, shared

from .models import ScopeKind, Snapshot, SnapshotClient, SnapshotScopeRow, SnapshotStatus

T = TypeVar("T")

SORTS = {
    "rank": ("rank",),
    "-rank": ("-rank",),
    "name": ("client__short_name", "rank"),
    "share": ("-basis", "rank"),
    "xyz": ("xyz", "rank"),
}


def latest_snapshot() -> Snapshot | None:
    # Several widgets of the Today page ask for it: one query per request.
    return per_request(
        "analytics.latest_snapshot",
        lambda: Snapshot.objects.filter(status=SnapshotStatus.DONE).order_by("-created_at", "-id").first(),
    )


def previous_snapshot(snapshot: Snapshot) -> Snapshot | None:
    return per_request(
        ("analytics.previous_snapshot", snapshot.pk),
        lambda: (
            Snapshot.objects.filter(status=SnapshotStatus.DONE)
            .filter(
                Q(created_at__lt=snapshot.created_at) | Q(created_at=snapshot.created_at, id__lt=snapshot.id)
            )
            .order_by("-created_at", "-id")
            .first()
        ),
    )


def snapshots() -> QuerySet[Snapshot]:
    return Snapshot.objects.select_related("created_by").order_by("-created_at", "-id")


def _visible_ids(user: User) -> QuerySet[Client] | None:
    """None when the user sees every client (no filter needed)."""
    if policy.client_scope(user) is None:
        return None
    return policy.visible_clients(user).values("pk")  # type: ignore[return-value]


@dataclass
class ReportFilter:
    level: str = "company"  # company | department | manager
    scope_id: int | None = None
    only_key: bool = True
    abc: str = ""
    xyz: str = ""
    search: str = ""
    sort: str = "rank"
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: dict[str, str]) -> ReportFilter:
        flt = cls(
            level=params.get("level", "company"),
            only_key=params.get("all", "") != "1",
            abc=params.get("abc", "").upper()[:1],
            xyz=params.get("xyz", "").upper()[:1],
            search=params.get("q", "").strip()[:100],
            sort=params.get("sort", "rank"),
        )
        if flt.level not in ("company", "department", "manager"):
            flt.errors.append(f"unknown level {flt.level!r}")
            flt.level = "company"
        raw = params.get("scope", "")
        if raw:
            if raw.isdigit():
                flt.scope_id = int(raw)
            else:
                flt.errors.append("scope must be a number")
        if flt.level != "company" and flt.scope_id is None:
            flt.errors.append("choose a department or a manager")
            flt.level = "company"
        if flt.abc not in ("", "A", "B", "C"):
            flt.abc = ""
        if flt.xyz not in ("", "X", "Y", "Z"):
            flt.xyz = ""
        if flt.sort not in SORTS:
            flt.sort = "rank"
        return flt


def company_rows(user: User, snapshot: Snapshot, flt: ReportFilter) -> QuerySet[SnapshotClient]:
    qs = SnapshotClient.objects.filter(snapshot=snapshot).select_related("client", "client__owner")
    visible = _visible_ids(user)
    if visible is not None:
        qs = qs.filter(client_id__in=visible)
    if flt.only_key:
        qs = qs.filter(is_key_any=True)
    if flt.abc:
        qs = qs.filter(abc=flt.abc)
    if flt.xyz:
        qs = qs.filter(xyz=flt.xyz)
    if flt.search:
        qs = qs.filter(client__in=Client.objects.search(flt.search))
    return qs.order_by(*SORTS[flt.sort])


def scope_rows(user: User, snapshot: Snapshot, flt: ReportFilter) -> QuerySet[SnapshotScopeRow]:
    qs = SnapshotScopeRow.objects.filter(
        snapshot=snapshot, scope=flt.level, scope_id=flt.scope_id or 0
    ).select_related("client", "client__owner")
    visible = _visible_ids(user)
    if visible is not None:
        qs = qs.filter(client_id__in=visible)
    if flt.only_key:
        qs = qs.filter(is_key=True)
    if flt.search:
        qs = qs.filter(client__in=Client.objects.search(flt.search))
    return qs.order_by("rank")


def scopes_for(user: User) -> dict[str, list[tuple[int, str]]]:
    """Departments and managers the user may pick as the level of the report."""
    departments = Department.objects.order_by("name")
    managers = User.objects.filter(role__in=[Role.KAM, Role.HEAD]).order_by("last_name", "first_name")
    if user.role == Role.HEAD:
        departments = departments.filter(pk=user.department_id or 0)
        managers = managers.filter(department=user.department)
    elif user.role == Role.KAM:
        departments = departments.none()
        managers = managers.filter(pk__in=policy.represented_kam_ids(user))
    elif user.role != Role.DIRECTOR:
        departments, managers = departments.none(), managers.none()
    return {
        "department": [(d.pk, d.name) for d in departments],
        "manager": [(m.pk, str(m)) for m in managers],
    }


MOVES_LOOKUP = 500  # up to this many moved clients, ask which of them the user sees by id

MOVES_DIRECT = 200  # up to this many clients asked for, their moves are read from their own rows

MOVES = ("became_key", "no_longer_key", "entered_a", "left_a", "became_critical", "dependence_grew")


def movement(
    user: User, snapshot: Snapshot, previous: Snapshot | None, client_ids: list[int] | None = None
) -> dict[int, list[str]]:
    """What changed for each client since the previous snapshot (only clients with something to say).

    A client's moves depend on its own two rows only, and snapshots never change once written: the
    moves of every client are cached (kam.core.cache) per pair of snapshots, then cut down to
    `client_ids` and to the clients the user sees now (one query on the moved ids).
    """
    if previous is None:
        return {}
    if client_ids is not None and len(client_ids) <= MOVES_DIRECT:
        # A page of the report or one dossier: two small queries beat unpickling every client's moves.
        moves = _all_movement(snapshot, previous, client_ids)
    else:
        moves = cached(
            ("analytics.movement", snapshot.pk, previous.pk), lambda: _all_movement(snapshot, previous)
        )
        if client_ids is not None:
            wanted = set(client_ids)
            moves = {k: v for k, v in moves.items() if k in wanted}
    if moves and policy.client_scope(user) is not None:
        visible_ids = policy.visible_clients(user).order_by().values_list("pk", flat=True)
        if len(moves) <= MOVES_LOOKUP:
            visible_ids = visible_ids.filter(pk__in=list(moves))
        # Many moved ids: reading the user's client ids from an index is cheaper than looking up
        # thousands of ids one by one (at 100,000 clients, 50 ms against 100-350 ms for 6,000 ids).
        visible = set(visible_ids)
        moves = {k: v for k, v in moves.items() if k in visible}
    return moves


# A head's counts are cut to the department's clients today. They are keyed on the generation of the
# clients (kam.clients: a new one on every client saved or deleted; imports change the ledger version),
# so a client moved to another department shows in the new one's counts at once where the workers
# share the cache (Redis); with a cache of each worker's own, within this many seconds.
SCOPED_COUNTS_TTL = 60


def movement_counts(user: User, snapshot: Snapshot, previous: Snapshot | None) -> dict[str, int]:
    """How many of the clients the user sees made each move, and "total" of clients that moved.

    The dashboards show only these counts. Cached per pair of snapshots for the whole company and
    per department for a head: at 100,000 clients, cutting the moves down to a department's clients
    costs ~50 ms, on every dashboard view.
    """
    if previous is None:
        return {}

    def count() -> dict[str, int]:
        moves = movement(user, snapshot, previous)
        counts: dict[str, int] = {"total": len(moves)}
        for found in moves.values():
            for move in found:
                counts[move] = counts.get(move, 0) + 1
        return counts

    return _cached_for_scope(user, ("analytics.movement_counts", snapshot.pk, previous.pk), count)


def _cached_for_scope(user: User, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """compute() cached for everyone who sees every client, per department for a head
    (SCOPED_COUNTS_TTL), and computed afresh for anyone else (a KAM's few clients)."""
    if policy.client_scope(user) is None:
        return cached((*key, "all"), compute)
    if user.role == Role.HEAD:
        # A 60 s expiry put a recomputation into every minute of every head's pages under load.
        members = generation(CLIENTS_GENERATION)
        ttl = DEFAULT_TTL if shared() else SCOPED_COUNTS_TTL
        return cached((*key, "department", user.department_id, members), compute, ttl=ttl)
    return compute()


def report_count(user: User, snapshot: Snapshot, flt: ReportFilter, rows: QuerySet[Any]) -> int:
    """How many rows the key-accounts report has (for its pages).

    Snapshots never change, so the count depends on the filter and the user's clients only: cached
    for users who see every client, and per department for a head (SCOPED_COUNTS_TTL); at 100,000
    clients a head's count joins ~86,000 snapshot rows with the department's clients (20-60 ms).
    """
    key = ("analytics.report_count", snapshot.pk, flt.level, flt.scope_id, flt.only_key, flt.abc, flt.xyz)
    if flt.search:  # names change; a search is counted afresh
        return rows.count()
    return _cached_for_scope(user, key, rows.count)


def _all_movement(
    snapshot: Snapshot, previous: Snapshot, client_ids: list[int] | None = None
) -> dict[int, list[str]]:
    fields = ("client_id", "is_key_any", "abc", "is_critical", "share")
    interesting = Q(is_key_any=True) | Q(abc="A") | Q(is_critical=True)

    def rows(snap: Snapshot) -> dict[int, dict[str, Any]]:
        qs = SnapshotClient.objects.filter(snapshot=snap).filter(interesting)
        if client_ids is not None:
            qs = qs.filter(client_id__in=client_ids)
        return {r["client_id"]: r for r in qs.values(*fields)}

    now, before = rows(snapshot), rows(previous)
    moves: dict[int, list[str]] = {}
    for client_id in now.keys() | before.keys():
        a, b = now.get(client_id), before.get(client_id)
        found: list[str] = []
        if a and a["is_key_any"] and not (b and b["is_key_any"]):
            found.append("became_key")
        if b and b["is_key_any"] and not (a and a["is_key_any"]):
            found.append("no_longer_key")
        if a and a["abc"] == "A" and not (b and b["abc"] == "A"):
            found.append("entered_a")
        if b and b["abc"] == "A" and not (a and a["abc"] == "A"):
            found.append("left_a")
        if a and a["is_critical"] and not (b and b["is_critical"]):
            found.append("became_critical")
        elif (
            a
            and b
            and a["share"] is not None
            and b["share"] is not None
            and a["share"] > b["share"]
            and (a["is_critical"] or a["is_key_any"])
        ):
            found.append("dependence_grew")
        if found:
            moves[client_id] = found
    return moves


def client_history(client: Client) -> QuerySet[SnapshotClient]:
    return (
        SnapshotClient.objects.filter(client=client, snapshot__status=SnapshotStatus.DONE)
        .select_related("snapshot")
        .order_by("-snapshot__created_at", "-snapshot_id")[:24]
    )


def client_scope_rows(client: Client, snapshot: Snapshot) -> QuerySet[SnapshotScopeRow]:
    return SnapshotScopeRow.objects.filter(snapshot=snapshot, client=client)


def scope_names(rows: list[SnapshotScopeRow]) -> dict[tuple[str, int], str]:
    """Names of the departments and managers that scope rows point to, in two queries."""
    department_ids = {r.scope_id for r in rows if r.scope == ScopeKind.DEPARTMENT}
    manager_ids = {r.scope_id for r in rows if r.scope == ScopeKind.MANAGER}
    names: dict[tuple[str, int], str] = {}
    for department in Department.objects.filter(pk__in=department_ids):
        names[(ScopeKind.DEPARTMENT, department.pk)] = department.name
    for manager in User.objects.filter(pk__in=manager_ids):
        names[(ScopeKind.MANAGER, manager.pk)] = str(manager)
    return names


def dependence_alerts(user: User, snapshot: Snapshot) -> dict[str, Any]:
    """For the director: critical and mono clients of the company; for a head: those of the department."""
    if user.role == Role.DIRECTOR:
        critical = SnapshotClient.objects.filter(snapshot=snapshot, is_critical=True).select_related("client")
        scoped = SnapshotScopeRow.objects.filter(snapshot=snapshot, scope=ScopeKind.MANAGER, is_critical=True)
    elif user.role == Role.HEAD:
        critical = SnapshotClient.objects.none()
        scoped = SnapshotScopeRow.objects.filter(
            snapshot=snapshot, is_critical=True, client__department=user.department
        )
    else:
        return {}
    # The alerts show a flag, the share and the client's name: the rest of the analysis rows stays unread.
    return {
        "critical": list(
            critical.only("is_mono", "share", "client__short_name", "snapshot_id").order_by("rank")[:10]
        ),
        "scoped": list(
            scoped.select_related("client")
            .only("scope", "share", "client__short_name", "snapshot_id")
            .order_by("-share")[:10]
        ),
    }
