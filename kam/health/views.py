from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.access import policy
from kam.access.models import User
from kam.core import audit
from kam.core.exports import audited_export
from kam.core.forms import add_service_errors
from kam.core.htmx import htmx_target
from kam.core.pagination import paginate
from kam.core.tasks import run_in_background

from . import presentation, selectors, services
from .forms import HealthConfigForm
from .models import COMPONENTS, Band, HealthConfig, HealthRun, HealthSnapshot, RunStatus
from .widgets import client_health_context


def _user(request: HttpRequest, perm: str = "health.view_health") -> User:
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, perm):
        raise PermissionDenied
    return user


@login_required
def health_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    flt = selectors.ListFilter.from_params(request.GET)
    page = paginate(request, selectors.visible_latest(user, flt), settings.KAM_PAGE_SIZE)
    context: dict[str, Any] = {
        "nav": "health",
        "flt": flt,
        "page": page,
        "bands": Band.choices,
        "choices": selectors.filter_choices(user),
        "can_compute_all": policy.can(user, "health.compute_all"),
        "can_settings": policy.can(user, "health.change_settings"),
        "running": HealthRun.objects.filter(status=RunStatus.RUNNING).first(),
        "last_run": HealthRun.objects.exclude(status=RunStatus.RUNNING).first(),
        "alerts": list(selectors.recent_alerts(user, days=30)[:10]),
    }
    template = "health/_rows.html" if htmx_target(request) == "health-rows" else "health/list.html"
    return render(request, template, context)


@login_required
def health_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    flt = selectors.ListFilter.from_params(request.GET)
    headers = [
        _("Client"),
        _("INN"),
        _("KAM"),
        _("Department"),
        _("Date"),
        _("Score"),
        _("Band"),
        _("Change"),
        *[f"{presentation.LABELS[name]}: {_('points')}" for name in COMPONENTS],
        *[f"{presentation.LABELS[name]}: {_('value')}" for name in COMPONENTS],
    ]
    rows: list[list[Any]] = []
    for snap in selectors.visible_latest(user, flt):
        parts = snap.components
        rows.append(
            [
                snap.client.short_name,
                snap.client.tax_number,
                str(snap.client.owner),
                str(snap.client.department or ""),
                snap.day,
                snap.score,
                snap.get_band_display(),
                snap.change,
                *[parts.get(name, {}).get("points", "") for name in COMPONENTS],
                *[presentation.value_text(name, parts[name]) if name in parts else "" for name in COMPONENTS],
            ]
        )
    return audited_export(
        request,
        model=HealthSnapshot,
        what="account health",
        headers=headers,
        rows=rows,
        filename="account-health",
        sheet=_("Account health"),
        filters=flt.as_dict(),
    )


@login_required
def health_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = policy.get_client_for_user(user, client_id, "health.view_client")
    audit.record_view(user, client, request=request, what="health")
    context = {"nav": "health", "client": client, **client_health_context(user, client)}
    return render(request, "health/detail.html", context)


@login_required
@require_POST
def health_compute_client(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = policy.get_client_for_user(user, client_id, "health.compute_client")
    services.compute_client(actor=user, client=client)
    messages.success(request, _("Health computed for today."))
    if request.POST.get("next") == "tab":
        return redirect("clients:dossier_tab", client_id=client.pk, tab="health")
    return redirect("health:detail", client_id=client.pk)


@login_required
@require_POST
def health_compute_all(request: HttpRequest) -> HttpResponse:
    user = _user(request, "health.compute_all")
    try:
        run = services.run_start(actor=user)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
        return redirect("health:list")
    run_in_background(services.run_compute, run.pk)
    messages.success(request, _("Health computation of the key clients started."))
    return redirect("health:list")


@login_required
def run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    _user(request)
    run = get_object_or_404(HealthRun, pk=run_id)
    response = render(request, "health/_status.html", {"running": run})
    if run.status != RunStatus.RUNNING:
        response["HX-Refresh"] = "true"
    return response


@login_required
def health_settings(request: HttpRequest) -> HttpResponse:
    user = _user(request, "health.change_settings")
    current = HealthConfig.current()
    form = HealthConfigForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.config_update(actor=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Settings saved. They apply from the next computation."))
            return redirect("health:list")
    return render(request, "health/settings.html", {"form": form, "config": current, "nav": "health"})
