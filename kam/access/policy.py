"""Who sees and changes what. Every door (page, API, export, PDF, search) asks here and nowhere else.

Querysets answer "which clients may this user see"; predicates (django-rules) answer questions about
one object. Both follow SPEC section 2.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date
from typing import TYPE_CHECKING, Any

import rules
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.http import Http404
from django.utils import timezone

from kam.core.cache import now_and_after_commit

from .models import Deputy, Role, User

if TYPE_CHECKING:
    from kam.clients.models import Client


def _business_user(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


# Within one request the KAMs a user represents are read once: a page asks "which clients may this
# user see" for every widget (a dozen times on the Today page). Outside a request nothing is memoised.
_request_memo: ContextVar[dict[Any, Any] | None] = ContextVar("kam_policy_memo", default=None)


def _on_request_started(**kwargs: Any) -> None:
    _request_memo.set({})


def _on_request_finished(**kwargs: Any) -> None:
    _request_memo.set(None)


request_started.connect(_on_request_started, dispatch_uid="kam.access.policy.started")
request_finished.connect(_on_request_finished, dispatch_uid="kam.access.policy.finished")


# Today's deputyships, (deputy id, absent id) pairs, kept in the shared cache: every request of a KAM
# asks whom they represent, and the answer changes only when a deputyship is written (the receivers
# below drop the entry, again after the commit) or the day turns.
DEPUTIES_KEY = "kam:access:active-deputies"
DEPUTIES_TTL = 60  # bounds the staleness between workers that share no cache (no KAM_REDIS_URL)


def active_deputyships(today: date | None = None) -> tuple[tuple[int, int], ...]:
    """(deputy id, absent id) of every deputyship active on `today`, the latest start first."""
    day = today or timezone.localdate()
    entry = cache.get(DEPUTIES_KEY)
    if entry is not None and entry[0] == day:
        return entry[1]
    pairs = tuple(
        Deputy.objects.active(day).order_by("-starts_on", "-pk").values_list("deputy_id", "absent_id")
    )
    if today is None or day == timezone.localdate():
        cache.set(DEPUTIES_KEY, (day, pairs), DEPUTIES_TTL)
    return pairs


def forget_deputyships(**kwargs: Any) -> None:
    now_and_after_commit(lambda: cache.delete(DEPUTIES_KEY))


post_save.connect(forget_deputyships, sender=Deputy, dispatch_uid="kam.access.policy.deputy_saved")
post_delete.connect(forget_deputyships, sender=Deputy, dispatch_uid="kam.access.policy.deputy_deleted")


def represented_kam_ids(user: User) -> list[int]:
    """The KAMs whose clients `user` acts for today: themself and anyone they deputise for."""
    today = timezone.localdate()
    memo = _request_memo.get()
    key = ("represented", user.pk, today)
    if memo is not None and key in memo:
        return list(memo[key])
    ids = [user.pk, *(absent for deputy, absent in active_deputyships(today) if deputy == user.pk)]
    if memo is not None:
        memo[key] = tuple(ids)
    return ids


def client_scope(user: User) -> Q | None:
    """A filter on Client for what `user` may see; None means everything, Q(pk__in=[]) nothing."""
    if not _business_user(user):
        return Q(pk__in=[])
    role = user.role
    if role in (Role.DIRECTOR, Role.SALES_SUPPORT, Role.FINANCE):
        return None
    if role == Role.HEAD:
        if user.department_id is None:
            return Q(pk__in=[])
        return Q(department_id=user.department_id)
    if role == Role.KAM:
        return Q(pk__in=_kam_client_ids(user))
    return Q(pk__in=[])


def _kam_client_ids(user: User) -> QuerySet[Any]:
    """Ids of the clients a KAM owns (or deputises for) plus those of its account teams.

    A UNION of two indexed lookups: the equivalent `owner IN (...) OR team.user = ...` made PostgreSQL
    scan every client (120–190 ms at 100,000 clients against 2 ms for this).
    """
    from kam.clients.models import Client, TeamMember

    owned = Client.objects.filter(owner_id__in=represented_kam_ids(user)).values("pk").order_by()
    teams = TeamMember.objects.filter(user=user).values("client_id").order_by()
    return owned.union(teams, all=True)


def visible_clients(user: User, queryset: QuerySet[Client] | None = None) -> QuerySet[Client]:
    from kam.clients.models import Client

    qs = queryset if queryset is not None else Client.objects.all()
    scope = client_scope(user)
    if scope is None:
        return qs
    return qs.filter(scope)


def limit_to_visible_clients(queryset: QuerySet[Any], user: User, field: str = "client") -> QuerySet[Any]:
    """`queryset` (of rows with a non-null client foreign key `field`) cut to the clients `user` sees.

    For a user who sees every client the filter is left out: `client IN (SELECT id FROM clients)`
    would make the database join every row with 100,000 clients to drop none.
    """
    ids = _visible_client_ids(user)
    if ids is None:
        return queryset
    # Wrapped as `SELECT id FROM clients WHERE <scope>` even for a KAM's UNION: with the bare UNION
    # inside IN, PostgreSQL walked the rows in list order probing a materialised id list (56 ms for
    # the health widget's 8 alerts against 7 ms wrapped, where it hashes the ids once).
    return queryset.filter(**{f"{field}__in": ids})


def _visible_client_ids(user: User) -> QuerySet[Any] | None:
    """`SELECT id FROM clients WHERE <scope>`, built once per request: the Today page cuts a dozen
    widgets' queries to it (a query used in a filter is cloned there, so one copy serves them all)."""
    from kam.clients.models import Client

    memo = _request_memo.get()
    key = ("visible_client_ids", user.pk, timezone.localdate())
    if memo is not None and key in memo:
        return memo[key]
    scope = client_scope(user)
    ids = None if scope is None else Client.objects.filter(scope).values("pk")
    if memo is not None:
        memo[key] = ids
    return ids


def _sees_client(user: User, client: Client) -> bool:
    return visible_clients(user).filter(pk=client.pk).exists()


@rules.predicate
def is_director(user: User) -> bool:
    return _business_user(user) and user.role == Role.DIRECTOR


@rules.predicate
def is_head(user: User) -> bool:
    return _business_user(user) and user.role == Role.HEAD


@rules.predicate
def is_kam(user: User) -> bool:
    return _business_user(user) and user.role == Role.KAM


@rules.predicate
def is_support_or_finance(user: User) -> bool:
    return _business_user(user) and user.role in (Role.SALES_SUPPORT, Role.FINANCE)


@rules.predicate
def heads_clients_department(user: User, client: Client) -> bool:
    return (
        is_head(user)
        and client is not None
        and user.department_id is not None
        and (client.department_id == user.department_id)
    )


@rules.predicate
def serves_client(user: User, client: Client) -> bool:
    """KAM who owns the client, is on its team or deputises for its owner today."""
    if client is None or not is_kam(user):
        return False
    if client.owner_id in represented_kam_ids(user):
        return True
    return client.team.filter(user=user).exists()


@rules.predicate
def sees_requisites(user: User, client: Client) -> bool:
    return client is not None and _sees_client(user, client)


can_view_dossier = is_director | heads_clients_department | serves_client
can_change_client = is_director | heads_clients_department | serves_client
can_reassign_client = is_director | heads_clients_department
# Personal notes on stakeholders, margins and cost prices.
can_see_sensitive = is_director | heads_clients_department | serves_client

rules.add_perm("clients.view_requisites", sees_requisites)
rules.add_perm("clients.view_dossier", can_view_dossier)
rules.add_perm("clients.change_client", can_change_client)
rules.add_perm("clients.reassign_client", can_reassign_client)
rules.add_perm("clients.view_sensitive", can_see_sensitive)
rules.add_perm("clients.add_client", is_director | is_head | is_kam)
# The competitor registry is shared market knowledge of the sales side, not of support or finance.
rules.add_perm("clients.view_competitors", is_director | is_head | is_kam)
rules.add_perm("clients.add_competitor", is_director | is_head | is_kam)
rules.add_perm("access.view_audit", is_director)
rules.add_perm("access.manage_deputies", is_director | is_head)
rules.add_perm("access.manage_users", rules.is_staff)
# Key-account analysis: KAMs see the rows of their own clients; runs and the whole book are for heads up.
rules.add_perm("analytics.view_report", is_director | is_head | is_kam)
rules.add_perm("analytics.run", is_director | is_head)
rules.add_perm("analytics.view_concentration", is_director | is_head)
rules.add_perm("analytics.change_settings", is_director)
# Sales ledger: the director and heads import it; cost and margin of a client's lines are sensitive.
rules.add_perm("ledger.import_ledger", is_director | is_head)
rules.add_perm("ledger.view_margins", can_see_sensitive)


@rules.predicate
def heads_target_department(user: User, target: Any) -> bool:
    """A head on a KAM (User) or a department of their own; without an object: any head."""
    if not is_head(user) or user.department_id is None:
        return False
    if target is None:
        return True
    department_id = target.department_id if isinstance(target, User) else getattr(target, "pk", None)
    return department_id == user.department_id


@rules.predicate
def is_target_kam_themself(user: User, target: Any) -> bool:
    return is_kam(user) and (target is None or (isinstance(target, User) and target.pk == user.pk))


# Plans and variable pay: a KAM sees their own, a head their department's, the director everyone's.
rules.add_perm("planning.view_plans", is_director | is_head | is_kam)
rules.add_perm("planning.set_plans", is_director | heads_target_department)
rules.add_perm("planning.view_statement", is_director | heads_target_department | is_target_kam_themself)
rules.add_perm("planning.change_commission_rules", is_director)


@rules.predicate
def owns_or_joins_activity(user: User, activity: Any) -> bool:
    if activity is None or not _business_user(user):
        return False
    return activity.owner_id == user.pk or activity.participants.filter(pk=user.pk).exists()


@rules.predicate
def sees_activity_client(user: User, activity: Any) -> bool:
    return activity is not None and bool(can_view_dossier(user, activity.client))


@rules.predicate
def heads_activity_department(user: User, activity: Any) -> bool:
    if activity is None or not is_head(user) or user.department_id is None:
        return False
    return user.department_id in (activity.owner.department_id, activity.client.department_id)


@rules.predicate
def schedule_of_own_or_department(user: User, kam: Any) -> bool:
    """A KAM's schedule (a User): the KAM themself, their department's head, the director."""
    if not isinstance(kam, User) or not _business_user(user):
        return False
    if user.pk == kam.pk and user.role in (Role.KAM, Role.HEAD, Role.DIRECTOR):
        return True
    return bool(is_director(user)) or (
        bool(is_head(user)) and user.department_id is not None and kam.department_id == user.department_id
    )


# Activities and the schedule (kam.activities): an activity is seen by its KAM and participants, by anyone
# who sees its client's dossier, by the heads of the department and by the director.
rules.add_perm("activities.view_schedule", is_director | is_head | is_kam)
rules.add_perm("activities.view_kam_schedule", schedule_of_own_or_department)
rules.add_perm(
    "activities.view_activity",
    is_director | owns_or_joins_activity | sees_activity_client | heads_activity_department,
)
rules.add_perm(
    "activities.change_activity",
    is_director | owns_or_joins_activity | sees_activity_client | heads_activity_department,
)
rules.add_perm("activities.plan_activity", can_change_client)
rules.add_perm("activities.add_feedback", can_change_client)


# Orders (SPEC 3.5). An order's rules take the order, or its client, or nothing (may the user do it at all).


def _order_client(obj: Any) -> Any:
    return getattr(obj, "client", obj)


@rules.predicate
def is_sales_support(user: User) -> bool:
    return _business_user(user) and user.role == Role.SALES_SUPPORT


@rules.predicate
def sees_order(user: User, obj: Any = None) -> bool:
    if not _business_user(user) or user.role not in (Role.DIRECTOR, Role.HEAD, Role.KAM, Role.SALES_SUPPORT):
        return False
    return obj is None or _sees_client(user, _order_client(obj))


@rules.predicate
def takes_orders_for(user: User, obj: Any = None) -> bool:
    if obj is None:
        return is_kam(user) or is_head(user)
    client = _order_client(obj)
    return bool(serves_client(user, client) or heads_clients_department(user, client))


@rules.predicate
def approves_for(user: User, obj: Any = None) -> bool:
    if obj is None:
        return is_director(user) or is_head(user)
    return bool(is_director(user) or heads_clients_department(user, _order_client(obj)))


@rules.predicate
def sees_order_margins(user: User, obj: Any = None) -> bool:
    if obj is None:
        return is_director(user) or is_head(user) or is_kam(user)
    return bool(can_see_sensitive(user, _order_client(obj)))


rules.add_perm("orders.view_orders", sees_order)
rules.add_perm("orders.take_order", takes_orders_for)
rules.add_perm("orders.approve_discount", approves_for)
rules.add_perm("orders.process", is_sales_support)
# Cost prices and margins: never sales support (nor finance).
rules.add_perm("orders.view_margins", sees_order_margins)
rules.add_perm("orders.view_cost_prices", is_director | is_head | is_kam)
rules.add_perm("orders.manage_products", is_director | is_head)
rules.add_perm("orders.view_analysis", is_director | is_head | is_kam | is_sales_support)
rules.add_perm("orders.change_settings", is_director)


# Receivables (SPEC 3.6). Rules take a client, an object with `.client` (invoice, payment), or nothing.
@rules.predicate
def is_finance(user: User) -> bool:
    return _business_user(user) and user.role == Role.FINANCE


@rules.predicate
def sees_receivables(user: User, obj: Any = None) -> bool:
    if not _business_user(user) or user.role not in (Role.DIRECTOR, Role.HEAD, Role.KAM, Role.FINANCE):
        return False
    return obj is None or _sees_client(user, getattr(obj, "client", obj))


rules.add_perm("receivables.view_receivables", sees_receivables)
# Collection work (reminders, calls, promises to pay): whoever sees the client's receivables.
rules.add_perm("receivables.add_collection_action", sees_receivables)
rules.add_perm("receivables.record_payment", is_director | is_finance)
rules.add_perm("receivables.add_credit_note", is_director | is_finance)
rules.add_perm("receivables.import", is_director | is_finance)
rules.add_perm("receivables.set_credit_limit", is_director | is_finance)


# Pipeline (issue 8): an opportunity's rules take the opportunity or its client.
@rules.predicate
def sees_opportunity(user: User, obj: Any = None) -> bool:
    if obj is None:
        return bool(is_director(user) or is_head(user) or is_kam(user))
    return bool(can_view_dossier(user, getattr(obj, "client", obj)))


@rules.predicate
def changes_opportunity(user: User, obj: Any = None) -> bool:
    if obj is None:
        return bool(is_director(user) or is_head(user) or is_kam(user))
    return bool(can_change_client(user, getattr(obj, "client", obj)))


rules.add_perm("pipeline.view_pipeline", is_director | is_head | is_kam)
rules.add_perm("pipeline.view_opportunity", sees_opportunity)
rules.add_perm("pipeline.change_opportunity", changes_opportunity)


# Contracts and claims (SPEC 3.7): the sales side that sees the client's dossier; never support or finance.
# The rules take a client, an object with `.client` (contract, clause's contract, claim), or nothing.
def _contract_client(obj: Any) -> Any:
    contract = getattr(obj, "contract", None)
    return getattr(contract or obj, "client", obj)


@rules.predicate
def sees_contracts(user: User, obj: Any = None) -> bool:
    if not (is_director(user) or is_head(user) or is_kam(user)):
        return False
    return obj is None or bool(can_view_dossier(user, _contract_client(obj)))


@rules.predicate
def changes_contracts(user: User, obj: Any = None) -> bool:
    if not (is_director(user) or is_head(user) or is_kam(user)):
        return False
    return obj is None or bool(can_change_client(user, _contract_client(obj)))


rules.add_perm("contracts.view_contracts", sees_contracts)
rules.add_perm("contracts.change_contract", changes_contracts)
rules.add_perm("contracts.view_claims", sees_contracts)
rules.add_perm("contracts.change_claim", changes_contracts)


def get_client_for_user(user: User, client_id: int, perm: str = "clients.view_dossier") -> Client:
    """The client, if `user` holds `perm` on it; otherwise 404 so ids don't leak existence."""
    from kam.clients.models import Client

    client = Client.objects.select_related("owner", "department").filter(pk=client_id).first()
    if client is None or not can(user, perm, client):
        raise Http404("No such client")
    return client


def can(user: User, perm: str, obj: object | None = None) -> bool:
    # Asks the rule set directly: a Django superuser gets no business data without a business role.
    return bool(rules.has_perm(perm, user, obj))
