"""Reads on clients, always filtered by what the user may see (kam.access.policy)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from kam.access import policy
from kam.access.models import Role, User

from .models import Client, ClientStatus, Segment

SORTS = {
    "name": ("short_name", "id"),
    "-name": ("-short_name", "-id"),
    "inn": ("tax_number", "id"),
    "-inn": ("-tax_number", "-id"),
    "region": ("region", "short_name", "id"),
    "-region": ("-region", "-short_name", "-id"),
    "kam": ("owner__last_name", "short_name", "id"),
    "-kam": ("-owner__last_name", "-short_name", "-id"),
    "status": ("status", "short_name", "id"),
    "-status": ("-status", "-short_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


@dataclass
class ClientFilter:
    search: str = ""
    status: str = ""
    segment: str = ""
    region: str = ""
    owner_id: int | None = None
    department_id: int | None = None
    tag: str = ""
    sort: str = "name"
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: dict[str, str]) -> ClientFilter:
        flt = cls(
            search=params.get("q", "").strip()[:100],
            status=params.get("status", ""),
            segment=params.get("segment", ""),
            region=params.get("region", "").strip()[:120],
            tag=params.get("tag", "").strip()[:60],
            sort=params.get("sort", "name"),
        )
        if flt.status and flt.status not in ClientStatus.values:
            flt.errors.append(f"unknown status {flt.status!r}")
            flt.status = ""
        if flt.segment and flt.segment not in Segment.values:
            flt.errors.append(f"unknown segment {flt.segment!r}")
            flt.segment = ""
        if flt.sort not in SORTS:
            flt.sort = "name"
        for key, attr in (("kam", "owner_id"), ("department", "department_id")):
            raw = params.get(key, "")
            if raw:
                if raw.isdigit():
                    setattr(flt, attr, int(raw))
                else:
                    flt.errors.append(f"{key} must be a number")
        return flt

    def as_params(self) -> dict[str, str]:
        pairs = {
            "q": self.search,
            "status": self.status,
            "segment": self.segment,
            "region": self.region,
            "tag": self.tag,
            "kam": self.owner_id or "",
            "department": self.department_id or "",
        }
        return {k: str(v) for k, v in pairs.items() if v}


def client_list(user: User, flt: ClientFilter | None = None) -> QuerySet[Client]:
    flt = flt or ClientFilter()
    qs = policy.visible_clients(user, Client.objects.search(flt.search))
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.segment:
        qs = qs.filter(segment=flt.segment)
    if flt.region:
        qs = qs.filter(region=flt.region)
    if flt.owner_id:
        qs = qs.filter(owner_id=flt.owner_id)
    if flt.department_id:
        qs = qs.filter(department_id=flt.department_id)
    if flt.tag:
        qs = qs.filter(tags__name=flt.tag)
    return qs.select_related("owner", "department").prefetch_related("tags").order_by(*SORTS[flt.sort])


def kams_visible_to(user: User) -> QuerySet[User]:
    """KAMs a user may filter by or hand a client to."""
    qs = User.objects.filter(role__in=[Role.KAM, Role.HEAD], is_active=True)
    if user.role == Role.HEAD:
        return qs.filter(department=user.department)
    if user.role == Role.DIRECTOR:
        return qs
    if user.role == Role.KAM:
        return qs.filter(pk__in=policy.represented_kam_ids(user))
    return qs.none() if user.role == Role.NONE else qs


def regions_visible_to(user: User) -> list[str]:
    return list(
        policy.visible_clients(user)
        .exclude(region="")
        .order_by("region")
        .values_list("region", flat=True)
        .distinct()[:500]
    )
