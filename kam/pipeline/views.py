from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.access import policy
from kam.access.models import User
from kam.core import dashboard
from kam.core.forms import add_service_errors

from . import selectors, services
from .forms import CloseForm, LinkForm, MoveForm, NewOpportunityForm, OpportunityForm
from .models import ClientLink, Status


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require_pipeline(user: User) -> None:
    if not policy.can(user, "pipeline.view_pipeline"):
        raise PermissionDenied


def _kam_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("kam") or request.POST.get("kam") or ""
    return int(raw) if raw.isdigit() else None


def _board_context(request: HttpRequest, error: str = "") -> dict[str, Any]:
    user = _user(request)
    kam_id = _kam_param(request)
    columns = selectors.board(user, kam_id)
    return {
        "nav": "pipeline",
        "columns": columns,
        "kams": selectors.pipeline_kams(user),
        "kam_id": kam_id,
        "move_form": MoveForm(),
        "board_amount": sum((c.total for c in columns), 0),
        "board_weighted": sum((c.weighted for c in columns), 0),
        "board_error": error,
    }


@login_required
def board(request: HttpRequest) -> HttpResponse:
    _require_pipeline(_user(request))
    context = _board_context(request)
    if getattr(request, "htmx", False):
        return render(request, "pipeline/_board.html", context)
    return render(request, "pipeline/board.html", context)


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    _require_pipeline(user)
    opportunity = selectors.get_opportunity_for_user(user, pk, "pipeline.change_opportunity")
    form = MoveForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Unknown stage.")
    else:
        try:
            services.opportunity_move(
                opportunity=opportunity, to_stage=form.cleaned_data["stage"], actor=user
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if getattr(request, "htmx", False):
        return render(request, "pipeline/_board.html", _board_context(request, error))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Moved to «%(stage)s».") % {"stage": opportunity.get_stage_display()})
    if request.POST.get("next") == "detail":
        return redirect("pipeline:detail", pk=pk)
    kam_id = _kam_param(request)
    return redirect(reverse("pipeline:board") + (f"?kam={kam_id}" if kam_id else ""))


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    _require_pipeline(user)
    opportunity = selectors.get_opportunity_for_user(user, pk)
    return render(
        request,
        "pipeline/detail.html",
        {
            "nav": "pipeline",
            "opportunity": opportunity,
            "competitors": list(opportunity.competitors.all()),
            "history": selectors.history(opportunity),
            "can_change": policy.can(user, "pipeline.change_opportunity", opportunity),
            "move_form": MoveForm(initial={"stage": opportunity.stage}),
            "close_form": CloseForm(),
            "statuses": Status,
        },
    )


@login_required
def create(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    _require_pipeline(user)
    client = policy.get_client_for_user(user, client_id, "pipeline.change_opportunity")
    form = NewOpportunityForm(request.POST or None, initial={"owner": client.owner_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opportunity = services.opportunity_create(
                actor=user,
                client=client,
                title=data["title"],
                kind=data["kind"],
                stage=data["stage"],
                amount=data["amount"],
                probability=data["probability"],
                expected_on=data["expected_on"],
                next_step=data["next_step"],
                next_step_on=data["next_step_on"],
                owner=data["owner"],
                competitors=list(data["competitors"]),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Opportunity created."))
            return redirect("pipeline:detail", pk=opportunity.pk)
    return render(request, "pipeline/form.html", {"nav": "pipeline", "form": form, "client": client})


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    _require_pipeline(user)
    opportunity = selectors.get_opportunity_for_user(user, pk, "pipeline.change_opportunity")
    form = OpportunityForm(request.POST or None, instance=opportunity)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        competitors = list(data.pop("competitors"))
        try:
            services.opportunity_update(opportunity=opportunity, actor=user, competitors=competitors, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect("pipeline:detail", pk=pk)
    return render(
        request,
        "pipeline/form.html",
        {"nav": "pipeline", "form": form, "client": opportunity.client, "opportunity": opportunity},
    )


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    _require_pipeline(user)
    opportunity = selectors.get_opportunity_for_user(user, pk, "pipeline.change_opportunity")
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
        return redirect("pipeline:detail", pk=pk)
    try:
        services.opportunity_close(
            opportunity=opportunity,
            status=form.cleaned_data["status"],
            lost_reason=form.cleaned_data["lost_reason"],
            actor=user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Status saved."))
    return redirect("pipeline:detail", pk=pk)


@login_required
def forecast(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_pipeline(user)
    raw_year = request.GET.get("year", "")
    year = (
        int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else timezone.localdate().year
    )
    period = "quarter" if request.GET.get("period") == "quarter" else "month"
    kam_id = _kam_param(request)
    data = selectors.weighted_forecast(user, year, period, kam_id)
    return render(
        request,
        "pipeline/forecast.html",
        {
            "nav": "pipeline",
            "forecast": data,
            "kams": selectors.pipeline_kams(user),
            "kam_id": kam_id,
            "years": range(year - 2, year + 3),
        },
    )


@login_required
def groups(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_pipeline(user)
    from kam.analytics.selectors import latest_snapshot

    snapshot = latest_snapshot()
    rows = selectors.group_shares(snapshot, user) if snapshot else []
    return render(request, "pipeline/groups.html", {"nav": "pipeline", "snapshot": snapshot, "rows": rows})


@login_required
@require_POST
def link_add(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = policy.get_client_for_user(user, client_id, "clients.change_client")
    form = LinkForm(request.POST, clients=policy.visible_clients(user).exclude(pk=client.pk))
    if not form.is_valid():
        messages.error(request, _("Choose the other client and the kind of link."))
    else:
        other = form.cleaned_data["other"]
        parent, child = (other, client) if form.cleaned_data["direction"] == "child" else (client, other)
        try:
            services.client_link_create(
                actor=user, parent=parent, child=child, kind=form.cleaned_data["kind"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PermissionDenied as exc:
            raise Http404("No such client") from exc
        else:
            messages.success(request, _("Link saved."))
    return redirect("clients:dossier_tab", client_id=client.pk, tab="group")


@login_required
@require_POST
def link_delete(request: HttpRequest, client_id: int, link_id: int) -> HttpResponse:
    user = _user(request)
    client = policy.get_client_for_user(user, client_id, "clients.change_client")
    link = get_object_or_404(
        ClientLink.objects.filter(parent=client) | ClientLink.objects.filter(child=client), pk=link_id
    )
    try:
        services.client_link_delete(actor=user, link=link)
    except PermissionDenied as exc:
        raise Http404("No such link") from exc
    messages.success(request, _("Link removed."))
    return redirect("clients:dossier_tab", client_id=client.pk, tab="group")


# ------------------------------------------------------------------ exports and the dashboard widget


def _export(
    request: HttpRequest, name: str, headers: list[str], rows: list[list[Any]], filters: dict[str, Any]
) -> HttpResponse:
    from kam.core.exports import audited_export

    from .models import Opportunity

    return audited_export(request, model=Opportunity, what=name, headers=headers, rows=rows, filters=filters)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """Opportunities the user sees (all statuses unless filtered), with amount, probability and weighted."""
    from .models import Stage

    user = _user(request)
    _require_pipeline(user)
    kam_id = _kam_param(request)
    status = request.GET.get("status", "")
    stage = request.GET.get("stage", "")
    qs = selectors.visible_opportunities(user).select_related("client", "owner")
    if kam_id:
        qs = qs.filter(owner_id=kam_id)
    if status in Status.values:
        qs = qs.filter(status=status)
    if stage in Stage.values:
        qs = qs.filter(stage=stage)
    headers = [
        _("Client"),
        _("Title"),
        _("Kind"),
        _("Stage"),
        _("Status"),
        _("KAM"),
        _("Amount, RUB"),
        _("Probability, %"),
        _("Weighted, RUB"),
        _("Expected close date"),
        _("Next step"),
        _("Next step date"),
        _("Lost reason"),
    ]
    rows = [
        [
            o.client.short_name,
            o.title,
            o.get_kind_display(),
            o.get_stage_display(),
            o.get_status_display(),
            str(o.owner),
            o.amount,
            o.probability,
            o.weighted,
            o.expected_on,
            o.next_step,
            o.next_step_on,
            o.lost_reason,
        ]
        for o in qs.order_by("expected_on", "pk")
    ]
    return _export(request, "opportunities", headers, rows, {"kam": kam_id, "status": status, "stage": stage})


@login_required
def forecast_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_pipeline(user)
    raw_year = request.GET.get("year", "")
    year = (
        int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else timezone.localdate().year
    )
    period = "quarter" if request.GET.get("period") == "quarter" else "month"
    kam_id = _kam_param(request)
    data = selectors.weighted_forecast(user, year, period, kam_id)
    headers = [_("KAM"), _("Opportunities"), *data.labels, _("Total")]
    rows: list[list[Any]] = [[str(r.kam), r.count, *r.cells, r.total] for r in data.rows]
    rows.append([_("Total"), sum(r.count for r in data.rows), *data.totals, data.total])
    return _export(
        request, "weighted-forecast", headers, rows, {"year": year, "period": period, "kam": kam_id}
    )


WIDGET_ROWS = 8


def dashboard_widget(request: HttpRequest, user: User) -> dict[str, Any] | None:
    """For a KAM (and a head): open opportunities whose next step is due today or overdue."""
    from kam.access.models import Role

    if user.role not in (Role.KAM, Role.HEAD) or not policy.can(user, "pipeline.view_pipeline"):
        return None
    today = timezone.localdate()
    qs = selectors.visible_opportunities(user).filter(status=Status.OPEN, next_step_on__lte=today)
    if user.role == Role.KAM:
        qs = qs.filter(owner=user)
    qs = qs.select_related("client").order_by("next_step_on", "pk")
    steps, steps_count = dashboard.first_rows(qs, WIDGET_ROWS)
    return {
        "template": "pipeline/_widget.html",
        "today": today,
        "steps": steps,
        "steps_count": steps_count,
    }
