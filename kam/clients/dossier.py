"""What each tab of the client dossier shows. Views stay thin: one function per tab builds its context."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.access import policy
from kam.access.models import User

from . import power, selectors
from .forms_dossier import (
    PRICE_LEVELS,
    CompetitorPresenceForm,
    FinancialForm,
    NeedsForm,
    RelationshipForm,
    StakeholderForm,
    TeamMemberForm,
)
from .models import (
    Attitude,
    Client,
    Competitor,
    FinancialIndicator,
    RelationKind,
    Relationship,
    Stakeholder,
)

TABS: dict[str, Any] = {
    "overview": _("Overview"),
    "financials": _("Financials"),
    "needs": _("Needs and plans"),
    "stakeholders": _("Stakeholders"),
    "map": _("Relationship map"),
    "competitors": _("Competitors"),
}
STALE_CONTACT_DAYS = 90
COMPETITOR_NAMES_SHOWN = 1000
CENT = Decimal("0.01")


def tab_labels() -> list[tuple[str, Any]]:
    return list(TABS.items())


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def sensitive_for(request: HttpRequest, client: Client) -> bool:
    return policy.can(_user(request), "clients.view_sensitive", client)


def page_context(request: HttpRequest, client: Client, tab: str) -> dict[str, Any]:
    """The frame every tab shares (the same keys as views.client_dossier puts in)."""
    user = _user(request)
    return {
        "client": client,
        "tab": tab,
        "tabs": tab_labels(),
        "nav": "clients",
        "can_edit": policy.can(user, "clients.change_client", client),
        "can_reassign": policy.can(user, "clients.reassign_client", client),
        "can_see_sensitive": policy.can(user, "clients.view_sensitive", client),
    }


# ------------------------------------------------------------------ stakeholders, safe for any role


@dataclass(frozen=True)
class StakeholderRow:
    """What a stakeholders table may show. Private notes are None unless the viewer may see them,
    so no template can leak them by mistake."""

    id: int
    full_name: str
    position: str
    decision_role: str
    role_label: str
    influence: int
    attitude: str
    attitude_label: str
    email: str
    phone: str
    last_contact_on: date | None
    days_since_contact: int | None
    stale: bool
    private_notes: str | None


def stakeholder_rows(
    people: Iterable[Stakeholder], *, sensitive: bool, today: date | None = None
) -> list[StakeholderRow]:
    today = today or timezone.localdate()
    rows = []
    for s in people:
        days = (today - s.last_contact_on).days if s.last_contact_on else None
        rows.append(
            StakeholderRow(
                id=s.pk,
                full_name=s.full_name,
                position=s.position,
                decision_role=s.decision_role,
                role_label=str(s.get_decision_role_display()),
                influence=s.influence,
                attitude=s.attitude,
                attitude_label=str(s.get_attitude_display()),
                email=s.email,
                phone=s.phone,
                last_contact_on=s.last_contact_on,
                days_since_contact=days,
                stale=days is None or days > STALE_CONTACT_DAYS,
                private_notes=s.private_notes if sensitive else None,
            )
        )
    return rows


def people_of(stakeholders: Iterable[Stakeholder]) -> list[power.Person]:
    return [
        power.Person(
            id=s.pk,
            name=s.full_name,
            position=s.position,
            decision_role=s.decision_role,
            influence=s.influence,
            attitude=s.attitude,
        )
        for s in stakeholders
    ]


def ties_of(client: Client) -> list[power.Tie]:
    return [
        power.Tie(source, target, kind)
        for source, target, kind in Relationship.objects.filter(client=client)
        .order_by("id")
        .values_list("source_id", "target_id", "kind")
    ]


def stakeholder_form(request: HttpRequest, client: Client, **kwargs: Any) -> StakeholderForm:
    return StakeholderForm(sensitive=sensitive_for(request, client), **kwargs)


# ------------------------------------------------------------------ tabs


def team_form(request: HttpRequest, client: Client, data: Any = None) -> TeamMemberForm:
    candidates = (
        selectors.kams_visible_to(_user(request))
        .exclude(pk=client.owner_id)
        .exclude(account_teams__client=client)
        .order_by("last_name", "first_name", "username")
    )
    return TeamMemberForm(data, candidates=candidates)


def _overview(request: HttpRequest, client: Client) -> dict[str, Any]:
    stakeholders = list(client.stakeholders.all())
    balance = power.balance_of_power(people_of(stakeholders), ties_of(client))
    context: dict[str, Any] = {
        "team": client.team.select_related("user").order_by("user__last_name", "user__first_name"),
        "tags": client.tags.all(),
        "stakeholder_count": len(stakeholders),
        "top_stakeholders": stakeholder_rows(stakeholders[:5], sensitive=False),
        "balance": balance,
        "latest_financials": client.financials.order_by("-year").first(),
    }
    if policy.can(_user(request), "clients.reassign_client", client):
        context["team_form"] = team_form(request, client)
    return context


@dataclass(frozen=True)
class FinancialRow:
    indicator: FinancialIndicator
    margin: Decimal | None  # profit / revenue, a share
    growth: Decimal | None  # revenue against the year before, a share


def financial_rows(indicators: list[FinancialIndicator]) -> list[FinancialRow]:
    by_year = {f.year: f for f in indicators}
    rows = []
    for f in sorted(indicators, key=lambda f: -f.year):
        margin = f.profit / f.revenue if f.revenue and f.profit is not None else None
        before = by_year.get(f.year - 1)
        growth = (
            f.revenue / before.revenue - 1 if before and before.revenue and f.revenue is not None else None
        )
        rows.append(FinancialRow(f, margin, growth))
    return rows


def _financials(request: HttpRequest, client: Client) -> dict[str, Any]:
    return {
        "rows": financial_rows(list(client.financials.all())),
        "financial_form": FinancialForm(client=client),
    }


def _needs(request: HttpRequest, client: Client) -> dict[str, Any]:
    return {}


def needs_form(client: Client, data: Any = None) -> NeedsForm:
    # A copy: a failed form must not leave unsaved text on the client shown around it.
    return NeedsForm(data, instance=copy.copy(client))


def _stakeholders(request: HttpRequest, client: Client) -> dict[str, Any]:
    sensitive = sensitive_for(request, client)
    return {
        "rows": stakeholder_rows(client.stakeholders.all(), sensitive=sensitive),
        "stale_days": STALE_CONTACT_DAYS,
    }


def _map(request: HttpRequest, client: Client) -> dict[str, Any]:
    stakeholders = list(client.stakeholders.all())
    people = people_of(stakeholders)
    ties = ties_of(client)
    balance = power.balance_of_power(people, ties)
    shares = {pp.person.id: pp.share for pp in balance.people}
    names = {s.pk: s for s in stakeholders}
    relations = [
        (relation, names[relation.source_id], names[relation.target_id])
        for relation in Relationship.objects.filter(client=client).order_by("id")
        if relation.source_id in names and relation.target_id in names
    ]
    return {
        "balance": balance,
        "drawing": power.draw(people, ties, shares) if balance.enough else None,
        "relations": relations,
        "relationship_form": RelationshipForm(client=client),
        **MAP_LEGEND,
    }


MAP_LEGEND = {
    "legend_attitudes": [(Attitude(a).label, colour) for a, colour in power.ATTITUDE_COLOURS.items()],
    "legend_edges": [
        {"kind": kind, "label": RelationKind(kind).label, "colour": c, "dash": d, "width": w, "marker": m}
        for kind, (c, d, w, m) in power.EDGE_STYLES.items()
    ],
    "markers": [(m, c) for (c, _d, _w, m) in power.EDGE_STYLES.values() if m],
}


@dataclass(frozen=True)
class PresenceRow:
    presence: Any
    amount: Decimal | None  # the share of the category budget in roubles


def competitors_summary(client: Client, presences: list[Any]) -> dict[str, Any]:
    taken = sum((p.estimated_share for p in presences), Decimal(0))
    budget = client.category_budget
    ours = max(Decimal(100) - taken, Decimal(0)) if budget is not None else None

    def amount(share: Decimal) -> Decimal | None:
        return (budget * share / 100).quantize(CENT) if budget is not None else None

    return {
        "presences": [PresenceRow(p, amount(p.estimated_share)) for p in presences],
        "competitors_share": taken,
        "our_share": ours,
        "our_amount": amount(ours) if ours is not None else None,
        "share_left": max(Decimal(100) - taken, Decimal(0)),
    }


def competitor_names() -> list[str]:
    return list(Competitor.objects.order_by("name").values_list("name", flat=True)[:COMPETITOR_NAMES_SHOWN])


def _competitors(request: HttpRequest, client: Client) -> dict[str, Any]:
    presences = list(client.competitors.select_related("competitor"))
    context = competitors_summary(client, presences)
    context.update(
        {
            "competitor_form": CompetitorPresenceForm(),
            "competitor_names": competitor_names(),
            "price_levels": PRICE_LEVELS,
        }
    )
    return context


BUILDERS: dict[str, Callable[[HttpRequest, Client], dict[str, Any]]] = {
    "overview": _overview,
    "financials": _financials,
    "needs": _needs,
    "stakeholders": _stakeholders,
    "map": _map,
    "competitors": _competitors,
}


def _empty(request: HttpRequest, client: Client) -> dict[str, Any]:
    return {}


def tab_context(tab: str, request: HttpRequest, client: Client) -> dict[str, Any]:
    return BUILDERS.get(tab, _empty)(request, client)
