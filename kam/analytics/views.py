from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.access import policy
from kam.access.models import User
from kam.core.exports import audited_export
from kam.core.forms import add_service_errors
from kam.core.htmx import htmx_target
from kam.core.money import from_kopecks
from kam.core.pagination import paginate
from kam.core.reports import key_account_cells, key_account_headers
from kam.core.tasks import run_in_background

from . import selectors, services
from .charts import curve_chart
from .forms import AnalysisConfigForm
from .models import AnalysisConfig, Snapshot, SnapshotClient, SnapshotStatus


def _user(request: HttpRequest, perm: str) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, perm):
        raise PermissionDenied
    return user


GROUPS = "groups"


def _groups_requested(request: HttpRequest) -> bool:
    return request.GET.get("level") == GROUPS


def _report_params(request: HttpRequest) -> dict[str, str]:
    """The filter's parameters; the "groups" level filters like the company level."""
    params = request.GET.dict()
    if params.get("level") == GROUPS:
        params["level"] = "company"
    return params


def _group_rows(user: User, snapshot: Snapshot, flt: selectors.ReportFilter) -> list[dict[str, Any]]:
    """Client groups (holding, subsidiaries, branches) with their combined share, key flag and members.

    The group is key when its parts together reach the key share (kam.pipeline computes it exactly).
    Members the user may not see stay unnamed and without their own figures.
    """
    from kam.clients.models import Client
    from kam.pipeline.selectors import group_shares

    groups = group_shares(snapshot, user)
    member_ids = [m.pk for g in groups for m in g.members]
    clients = Client.objects.select_related("owner").in_bulk(member_ids)
    own: dict[int, dict[str, Any]] = {
        r["client_id"]: dict(r)
        for r in SnapshotClient.objects.filter(snapshot=snapshot, client_id__in=member_ids).values(
            "client_id", "basis", "share", "is_key_any"
        )
    }
    visible = set(policy.visible_clients(user).filter(pk__in=member_ids).values_list("pk", flat=True))
    matching: set[int] | None = None
    if flt.search:
        matching = set(
            Client.objects.search(flt.search).filter(pk__in=member_ids).values_list("pk", flat=True)
        )
        matching &= visible
    rows = []
    for g in groups:
        if flt.only_key and not g.is_key:
            continue
        if matching is not None and not matching.intersection(m.pk for m in g.members):
            continue
        rows.append(
            {
                "group": g,
                "members": [
                    {
                        "client": clients[m.pk],
                        "visible": m.pk in visible,
                        "basis": own.get(m.pk, {}).get("basis", 0),
                        "share": own.get(m.pk, {}).get("share"),
                        "is_key": own.get(m.pk, {}).get("is_key_any", False),
                        "is_top": m.pk == g.top.pk,
                    }
                    for m in g.members
                ],
            }
        )
    return rows


def _groups_by_member(user: User, snapshot: Snapshot) -> dict[int, Any]:
    """Each visible group member's group (its combined figures), for the company-level rows."""
    from kam.pipeline.selectors import group_shares

    return {m.pk: g for g in group_shares(snapshot, user) for m in g.members}


def _chosen_snapshot(request: HttpRequest) -> Snapshot | None:
    raw = request.GET.get("snapshot", "")
    if raw.isdigit():
        return Snapshot.objects.filter(pk=int(raw), status=SnapshotStatus.DONE).first()
    return selectors.latest_snapshot()


@login_required
def key_accounts(request: HttpRequest) -> HttpResponse:
    user = _user(request, "analytics.view_report")
    snapshot = _chosen_snapshot(request)
    groups_level = _groups_requested(request)
    flt = selectors.ReportFilter.from_params(_report_params(request))
    for problem in flt.errors:
        messages.warning(request, _("Filter ignored: %(problem)s") % {"problem": problem})
    context: dict[str, Any] = {
        "snapshot": snapshot,
        "flt": flt,
        "groups_level": groups_level,
        "nav": "analysis",
        "scopes": selectors.scopes_for(user),
        "can_run": policy.can(user, "analytics.run"),
        "snapshots": selectors.snapshots()[:20],
        "running": Snapshot.objects.filter(status=SnapshotStatus.RUNNING).first(),
        "can_settings": policy.can(user, "analytics.change_settings"),
        "can_concentration": policy.can(user, "analytics.view_concentration"),
    }
    if snapshot is not None and groups_level:
        groups = _group_rows(user, snapshot, flt)
        context["page"] = Paginator(groups, settings.KAM_PAGE_SIZE).get_page(request.GET.get("page"))
    elif snapshot is not None:
        rows = (
            selectors.company_rows(user, snapshot, flt)
            if flt.level == "company"
            else selectors.scope_rows(user, snapshot, flt)
        )
        count = selectors.report_count(user, snapshot, flt, rows)
        page = paginate(request, rows, settings.KAM_PAGE_SIZE, count=count)
        previous = selectors.previous_snapshot(snapshot)
        context.update(
            page=page,
            previous=previous,
            moves=selectors.movement(user, snapshot, previous, client_ids=[r.client_id for r in page]),
            member_groups=_groups_by_member(user, snapshot),
        )
    template = (
        "analytics/_rows.html" if htmx_target(request) == "report-rows" else "analytics/key_accounts.html"
    )
    if groups_level and template == "analytics/_rows.html":
        template = "analytics/_groups.html"
    return render(request, template, context)


@login_required
def key_accounts_export(request: HttpRequest) -> HttpResponse:
    user = _user(request, "analytics.view_report")
    snapshot = _chosen_snapshot(request)
    if snapshot is None:
        messages.error(request, _("There is no analysis to export yet."))
        return redirect("analytics:key_accounts")
    if _groups_requested(request):
        return _groups_export(request, user, snapshot)
    flt = selectors.ReportFilter.from_params(request.GET.dict())
    headers = [
        *key_account_headers(),
        _("Group"),
        _("Group income, RUB"),
        _("Group share"),
        _("Key group"),
    ]
    groups = _groups_by_member(user, snapshot)

    def group_cells(client_id: int) -> tuple[Any, ...]:
        g = groups.get(client_id)
        if g is None:
            return ("", None, None, None)
        return (g.top.short_name, from_kopecks(g.basis), g.share, g.is_key)

    company = flt.level == "company"
    found = (
        selectors.company_rows(user, snapshot, flt) if company else selectors.scope_rows(user, snapshot, flt)
    )
    rows = [[*key_account_cells(r, company=company), *group_cells(r.client_id)] for r in found]
    return audited_export(
        request,
        model=SnapshotClient,
        what="key accounts",
        headers=headers,
        rows=rows,
        filename=f"key-accounts-{snapshot.period_end:%Y-%m}",
        sheet=_("Key accounts"),
        fmt="xlsx",
        filters=request.GET.dict(),
    )


def _groups_export(request: HttpRequest, user: User, snapshot: Snapshot) -> HttpResponse:
    """The group level: one row per group member the user may see, each with the group's figures."""
    flt = selectors.ReportFilter.from_params(_report_params(request))
    headers = [
        _("Group"),
        _("Group income, RUB"),
        _("Group share"),
        _("Key group"),
        _("Parts"),
        _("Client"),
        _("INN"),
        _("KAM"),
        _("Parent company"),
        _("Client income, RUB"),
        _("Client share"),
        _("Key"),
    ]
    rows = []
    for row in _group_rows(user, snapshot, flt):
        g = row["group"]
        for m in row["members"]:
            if not m["visible"]:
                continue
            rows.append(
                (
                    g.top.short_name,
                    from_kopecks(g.basis),
                    g.share,
                    g.is_key,
                    len(row["members"]),
                    m["client"].short_name,
                    m["client"].tax_number,
                    str(m["client"].owner),
                    m["is_top"],
                    from_kopecks(m["basis"]),
                    m["share"],
                    m["is_key"],
                )
            )
    return audited_export(
        request,
        model=SnapshotClient,
        what="key accounts: groups",
        headers=headers,
        rows=rows,
        filename=f"key-groups-{snapshot.period_end:%Y-%m}",
        sheet=_("Key groups"),
        fmt="xlsx",
        filters=request.GET.dict(),
    )


@login_required
@require_POST
def run(request: HttpRequest) -> HttpResponse:
    user = _user(request, "analytics.run")
    if Snapshot.objects.filter(status=SnapshotStatus.RUNNING).exists():
        messages.warning(request, _("An analysis is already running; wait for it to finish."))
        return redirect("analytics:key_accounts")
    try:
        snapshot = services.snapshot_start(actor=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("analytics:key_accounts")
    run_in_background(services.snapshot_compute, snapshot.pk)
    messages.success(
        request,
        _("Analysis started for %(start)s – %(end)s.")
        % {"start": f"{snapshot.period_start:%m.%Y}", "end": f"{snapshot.period_end:%m.%Y}"},
    )
    return redirect("analytics:key_accounts")


@login_required
def snapshot_status(request: HttpRequest, snapshot_id: int) -> HttpResponse:
    _user(request, "analytics.view_report")
    snapshot = get_object_or_404(Snapshot, pk=snapshot_id)
    response = render(request, "analytics/_status.html", {"running": snapshot})
    if snapshot.status != SnapshotStatus.RUNNING:
        response["HX-Refresh"] = "true"
    return response


@login_required
def concentration(request: HttpRequest) -> HttpResponse:
    user = _user(request, "analytics.view_concentration")
    snapshot = _chosen_snapshot(request)
    context: dict[str, Any] = {
        "snapshot": snapshot,
        "nav": "analysis",
        "snapshots": selectors.snapshots()[:20],
    }
    if snapshot is not None:
        c = snapshot.concentration
        share = c.get("pareto_clients_share")
        context.update(
            c=c,
            chart=curve_chart(
                c.get("lorenz_curve", []),
                c.get("pareto_curve", []),
                float(share) if share is not None else None,
                float(c.get("pareto_threshold", "0.8")),
            ),
            top=selectors.company_rows(user, snapshot, selectors.ReportFilter(only_key=False))[:20],
        )
    return render(request, "analytics/concentration.html", context)


@login_required
def config(request: HttpRequest) -> HttpResponse:
    user = _user(request, "analytics.change_settings")
    current = AnalysisConfig.current()
    form = AnalysisConfigForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.config_update(actor=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Settings saved. They apply from the next analysis run."))
            return redirect("analytics:key_accounts")
    return render(request, "analytics/config.html", {"form": form, "config": current, "nav": "analysis"})
