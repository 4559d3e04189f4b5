"""Promotion pages. Thin: parse input, ask policy, call selectors/services, render.

Roles without promotions get 403; a programme the user may not see gets 404, so ids don't leak existence.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client
from kam.core.exports import audited_export
from kam.core.forms import add_service_errors
from kam.core.money import from_kopecks
from kam.core.pagination import paginate

from . import selectors, services
from .charts import effect_chart
from .forms import AddClientForm, AddMatchingForm, PromotionForm
from .models import Promotion, PromotionKind, PromotionStatus

VIEW = "promotions.view_promotions"
CHANGE = "promotions.change_promotion"
EXPORT_LIMIT = 100_000


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require(user: User, perm: str, obj: Any = None) -> None:
    if not policy.can(user, perm, obj):
        raise PermissionDenied


def _filters(request: HttpRequest) -> dict[str, str]:
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    sort = request.GET.get("sort", "-starts")
    return {
        "q": request.GET.get("q", "").strip()[:100],
        "status": status if status in PromotionStatus.values else "",
        "kind": kind if kind in PromotionKind.values else "",
        "sort": sort if sort in selectors.SORTS else "-starts",
    }


@login_required
def promotion_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    filters = _filters(request)
    page = paginate(request, selectors.promotion_list(user, **filters))
    return render(
        request,
        "promotions/list.html",
        {
            "nav": "promotions",
            "page": page,
            **filters,
            "statuses": PromotionStatus.choices,
            "kinds": PromotionKind.choices,
            "can_add": policy.can(user, CHANGE),
        },
    )


@login_required
def promotion_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    filters = _filters(request)
    headers = [
        _("Name"),
        _("Kind"),
        _("Status"),
        _("Starts on"),
        _("Ends on"),
        _("Department"),
        _("Discount, %"),
        _("Volume threshold, RUB"),
        _("Bonus, %"),
        _("Clients"),
        _("Rules"),
    ]
    rows = [
        [
            p.name,
            p.get_kind_display(),
            p.get_status_display(),
            p.starts_on,
            p.ends_on,
            p.department.name if p.department else _("Whole company"),
            p.discount_pct,
            p.volume_threshold,
            p.bonus_pct,
            p.participants_count,  # type: ignore[attr-defined]
            p.rules_text,
        ]
        for p in selectors.promotion_list(user, **filters)[:EXPORT_LIMIT]
    ]
    return audited_export(request, model=Promotion, what="promotions", headers=headers, rows=rows)


@login_required
def participant_export(request: HttpRequest, promotion_id: int) -> HttpResponse:
    """The programme's clients (those the user sees) with their turnover and income before and during it."""
    user = _user(request)
    _require(user, VIEW)
    promotion = selectors.promotion_for(user, promotion_id)
    headers = [
        _("Client"),
        _("INN"),
        _("Segment"),
        _("Department"),
        _("KAM"),
        _("Turnover before, RUB"),
        _("Turnover during, RUB"),
        _("Income before, RUB"),
        _("Income during, RUB"),
    ]

    def rub(value: int | None) -> Decimal | None:
        return from_kopecks(value) if value is not None else None

    rows = [
        [
            c.short_name,
            c.tax_number,
            c.get_segment_display(),
            c.department.name if c.department else "",
            str(c.owner),
            rub(getattr(c, "turnover_before", None)),
            rub(getattr(c, "turnover_during", None)),
            rub(getattr(c, "income_before", None)),
            rub(getattr(c, "income_during", None)),
        ]
        for c in selectors.participant_figures(user, promotion)[:EXPORT_LIMIT]
    ]
    return audited_export(
        request,
        model=Promotion,
        what=f"promotion {promotion.pk} participants",
        headers=headers,
        rows=rows,
        filename=f"promotion-{promotion.pk}-clients",
        sheet="clients",
        filters={"promotion": promotion.pk},
    )


@login_required
def promotion_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    form = PromotionForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            promotion = services.promotion_create(actor=user, data=dict(form.cleaned_data))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Programme “%(name)s” saved.") % {"name": promotion.name})
            return redirect("promotions:detail", promotion.pk)
    return render(request, "promotions/form.html", {"nav": "promotions", "form": form, "promotion": None})


@login_required
def promotion_edit(request: HttpRequest, promotion_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    promotion = selectors.promotion_for(user, promotion_id)
    _require(user, CHANGE, promotion)
    form = PromotionForm(request.POST or None, instance=promotion, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.promotion_update(actor=user, promotion_id=promotion.pk, data=dict(form.cleaned_data))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Programme saved."))
            return redirect("promotions:detail", promotion.pk)
    return render(
        request, "promotions/form.html", {"nav": "promotions", "form": form, "promotion": promotion}
    )


@login_required
def promotion_detail(request: HttpRequest, promotion_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    promotion = selectors.promotion_for(user, promotion_id)
    metric = "income" if request.GET.get("metric") == "income" else "turnover"
    effect = selectors.promotion_effect(user, promotion)
    participants = selectors.participants_for(user, promotion).select_related("owner", "department")
    q = request.GET.get("q", "").strip()[:100]
    if q:
        participants = participants.filter(pk__in=Client.objects.search(q).values("pk"))
    page = paginate(request, participants.order_by("short_name", "id"))
    can_change = policy.can(user, CHANGE, promotion)
    return render(
        request,
        "promotions/detail.html",
        {
            "nav": "promotions",
            "promotion": promotion,
            "effect": effect,
            "chart": effect_chart(effect, metric) if effect else None,
            "metric": metric,
            "page": page,
            "q": q,
            "can_change": can_change,
            "add_form": AddClientForm(user=user) if can_change else None,
            "matching_form": AddMatchingForm(user=user) if can_change else None,
        },
    )


@login_required
@require_POST
def participant_add(request: HttpRequest, promotion_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    promotion = selectors.promotion_for(user, promotion_id)
    _require(user, CHANGE, promotion)
    form = AddClientForm(request.POST, user=user)
    if form.is_valid():
        added = services.participants_add(
            actor=user, promotion_id=promotion.pk, clients=[form.cleaned_data["client"]]
        )
        if added:
            messages.success(
                request, _("%(client)s takes part now.") % {"client": form.cleaned_data["client"]}
            )
        else:
            messages.info(request, _("This client already takes part."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("promotions:detail", promotion.pk)


@login_required
@require_POST
def participant_add_matching(request: HttpRequest, promotion_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    promotion = selectors.promotion_for(user, promotion_id)
    _require(user, CHANGE, promotion)
    form = AddMatchingForm(request.POST, user=user)
    if form.is_valid():
        department = form.cleaned_data.get("department")
        try:
            added = services.participants_add_matching(
                actor=user,
                promotion_id=promotion.pk,
                segment=form.cleaned_data.get("segment", ""),
                abc_class=form.cleaned_data.get("abc_class", ""),
                department_id=department.pk if department else None,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(n)s clients added.") % {"n": added})
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("promotions:detail", promotion.pk)


@login_required
@require_POST
def participant_remove(request: HttpRequest, promotion_id: int, client_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    promotion = selectors.promotion_for(user, promotion_id)
    _require(user, CHANGE, promotion)
    services.participant_remove(actor=user, promotion_id=promotion.pk, client_id=client_id)
    messages.success(request, _("Client removed from the programme."))
    return redirect("promotions:detail", promotion.pk)
