from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from auditlog.models import LogEntry
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Deputy, Role, User


def deputies_visible_to(user: User) -> QuerySet[Deputy]:
    qs = Deputy.objects.select_related("absent", "deputy", "created_by")
    if user.role == Role.DIRECTOR:
        return qs
    if user.role == Role.HEAD:
        if user.department_id is None:  # a head without a department heads nobody
            return qs.none()
        return qs.filter(absent__department_id=user.department_id)
    return qs.filter(deputy=user) | qs.filter(absent=user)


def deputyships_today(user: User) -> tuple[list[Deputy], list[Deputy]]:
    """(whom `user` deputises for today, who deputises for `user` today), for the Today page.

    Most users are in no deputyship: the cached list of today's pairs answers that without a query.
    """
    from . import policy

    today = timezone.localdate()
    pairs = policy.active_deputyships(today)
    active = Deputy.objects.active(today)
    deputising_for: list[Deputy] = []
    my_deputies: list[Deputy] = []
    if any(deputy == user.pk for deputy, _absent in pairs):
        deputising_for = list(active.filter(deputy=user).select_related("absent"))
    if any(absent == user.pk for _deputy, absent in pairs):
        my_deputies = list(active.filter(absent=user).select_related("deputy"))
    return deputising_for, my_deputies


def _text(params: Any, name: str) -> str:
    return str(params.get(name, "") or "").strip()[:100]


def _name_search(prefix: str, q: str) -> Q:
    return (
        Q(**{f"{prefix}username__icontains": q})
        | Q(**{f"{prefix}first_name__icontains": q})
        | Q(**{f"{prefix}last_name__icontains": q})
    )


# The users list (administrators): ``?q=&role=&department=&active=&sort=``; the page and its export share it.
USER_SORTS = {
    "username": ("username", "pk"),
    "-username": ("-username", "-pk"),
    "name": ("last_name", "first_name", "username", "pk"),
    "-name": ("-last_name", "-first_name", "-username", "-pk"),
    "role": ("role", "username", "pk"),
    "-role": ("-role", "username", "pk"),
    "department": ("department__name", "username", "pk"),
    "-department": ("-department__name", "username", "pk"),
}
USER_DEFAULT_SORT = "username"


@dataclass(frozen=True)
class UserFilter:
    q: str = ""
    role: str = ""
    department: int | None = None
    active: str = ""  # "1" active only, "0" inactive only, "" everyone
    sort: str = USER_DEFAULT_SORT

    @classmethod
    def from_params(cls, params: Any) -> UserFilter:
        role = _text(params, "role")
        department = _text(params, "department")
        active = _text(params, "active")
        sort = _text(params, "sort")
        return cls(
            q=_text(params, "q"),
            role=role if role in Role.values else "",
            department=int(department) if department.isdigit() and int(department) < 2**31 else None,
            active=active if active in ("0", "1") else "",
            sort=sort if sort in USER_SORTS else USER_DEFAULT_SORT,
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.role or self.department or self.active)


def user_list(flt: UserFilter) -> QuerySet[User]:
    """The users list of the administrator's page and its export, filtered and sorted."""
    qs = User.objects.select_related("department")
    if flt.q:
        qs = qs.filter(_name_search("", flt.q) | Q(email__icontains=flt.q))
    if flt.role:
        qs = qs.filter(role=flt.role)
    if flt.department:
        qs = qs.filter(department_id=flt.department)
    if flt.active:
        qs = qs.filter(is_active=flt.active == "1")
    return qs.order_by(*USER_SORTS[flt.sort])


# The deputies list (heads, the director): ``?q=&when=``, newest first as on the page.
DEPUTY_WHEN = ("current", "upcoming", "past")


@dataclass(frozen=True)
class DeputyFilter:
    q: str = ""
    when: str = ""  # one of DEPUTY_WHEN, or "" for all

    @classmethod
    def from_params(cls, params: Any) -> DeputyFilter:
        when = _text(params, "when")
        return cls(q=_text(params, "q"), when=when if when in DEPUTY_WHEN else "")

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.when)


def deputy_list(user: User, flt: DeputyFilter) -> QuerySet[Deputy]:
    """The deputyships ``user`` may see, filtered, newest first: the deputies page and its export."""
    qs = deputies_visible_to(user)
    if flt.q:
        qs = qs.filter(_name_search("absent__", flt.q) | _name_search("deputy__", flt.q))
    today = timezone.localdate()
    if flt.when == "current":
        qs = qs.filter(starts_on__lte=today, ends_on__gte=today)
    elif flt.when == "upcoming":
        qs = qs.filter(starts_on__gt=today)
    elif flt.when == "past":
        qs = qs.filter(ends_on__lt=today)
    return qs.order_by("-starts_on", "-pk")


def deputy_state(entry: Deputy, today: date | None = None) -> str:
    """``current``, ``upcoming`` or ``past``: where a deputyship stands today."""
    day = today or timezone.localdate()
    if entry.starts_on > day:
        return "upcoming"
    if entry.ends_on < day:
        return "past"
    return "current"


def audit_entries(
    *,
    actor_id: int | None = None,
    action: int | None = None,
    kind: str = "",
    model: str = "",
    since: date | None = None,
    until: date | None = None,
    search: str = "",
) -> QuerySet[LogEntry]:
    qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if action is not None:
        qs = qs.filter(action=action)
    if kind:
        qs = qs.filter(additional_data__kind=kind)
    if model:
        qs = qs.filter(content_type__model=model)
    tz = timezone.get_current_timezone()
    if since:
        qs = qs.filter(timestamp__gte=datetime.combine(since, time.min, tz))
    if until:
        qs = qs.filter(timestamp__lt=datetime.combine(until, time.min, tz) + timedelta(days=1))
    if search:
        qs = qs.filter(object_repr__icontains=search)
    return qs


def business_users() -> QuerySet[User]:
    return User.objects.exclude(role=Role.NONE).select_related("department")
