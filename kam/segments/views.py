"""Segment pages: the list of segments with their trend, and one segment's history, forecast and proposals."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Segment
from kam.core.exports import audited_export
from kam.core.forms import add_service_errors
from kam.core.money import from_kopecks
from kam.core.pagination import paginate

from . import selectors, services
from .charts import forecast_chart, sparkline
from .forms import DecisionForm, ProposalForm
from .models import ProposalStatus, SegmentProposal

VIEW = "segments.view_segments"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require(user: User, perm: str, obj: object | None = None) -> None:
    if not policy.can(user, perm, obj):
        raise PermissionDenied


def _segment(key: str) -> str:
    if key not in Segment.values:
        raise Http404("No such segment")
    return key


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    summaries = selectors.segment_summaries(user)
    rows = [(s, sparkline(s.series.turnover)) for s in summaries]
    open_counts = dict(
        (seg, n)
        for seg, n in selectors.proposals_for(user)
        .filter(status=ProposalStatus.OPEN)
        .order_by()
        .values_list("segment")
        .annotate(n=Count("id"))
    )
    return render(
        request,
        "segments/list.html",
        {
            "nav": "segments",
            "rows": rows,
            "open_counts": open_counts,
            "has_data": any(s.series.months for s in summaries),
        },
    )


def _horizon(request: HttpRequest) -> int:
    raw = request.GET.get("horizon", "3")
    return max(1, min(selectors.MAX_HORIZON, int(raw))) if raw.isdigit() else 3


@login_required
def segment_detail(request: HttpRequest, segment: str) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    segment = _segment(segment)
    metric = request.GET.get("metric", "turnover")
    metric = metric if metric in selectors.METRICS else "turnover"
    series = selectors.segment_series(user, segment)
    data = selectors.segment_forecast(series, metric, _horizon(request))
    status = request.GET.get("status", "")
    proposals = selectors.proposals_for(user, segment)
    if status in ProposalStatus.values:
        proposals = proposals.filter(status=status)
    page = paginate(request, proposals, per_page=20)
    history = list(zip(series.months, series.turnover, series.income, series.buyers, strict=True))[::-1]
    return render(
        request,
        "segments/detail.html",
        {
            "nav": "segments",
            "segment": segment,
            "segment_label": Segment(segment).label,
            "metric": metric,
            "metrics": list(selectors.METRICS.items()),
            "data": data,
            "chart": forecast_chart(data) if series.months else None,
            "history": history[:24],
            "page": page,
            "status": status,
            "statuses": ProposalStatus.choices,
            "form": ProposalForm() if policy.can(user, "segments.add_proposal") else None,
            "decision_form": DecisionForm(),
            "horizons": [1, 3, 6, 12],
        },
    )


@login_required
def segment_export(request: HttpRequest, segment: str) -> HttpResponse:
    """The segment's monthly history and the forecast of each measure, to Excel or CSV (audited)."""
    user = _user(request)
    _require(user, VIEW)
    segment = _segment(segment)
    series = selectors.segment_series(user, segment)
    horizon = _horizon(request)
    forecasts = {m: selectors.segment_forecast(series, m, horizon) for m in selectors.METRICS}
    headers = [_("Month"), _("Kind"), _("Turnover, RUB"), _("Income, RUB"), _("Buying clients")]
    rows: list[list[object]] = [
        [m, _("actual"), from_kopecks(t), from_kopecks(i), b]
        for m, t, i, b in zip(series.months, series.turnover, series.income, series.buyers, strict=True)
    ]

    def value(metric: str, k: int, money: bool) -> object:
        values = forecasts[metric].result.values
        if k >= len(values):
            return None
        return from_kopecks(round(values[k])) if money else round(values[k], 1)

    for k, month in enumerate(forecasts["turnover"].forecast_months):
        rows.append(
            [
                month,
                _("forecast"),
                value("turnover", k, True),
                value("income", k, True),
                value("buyers", k, False),
            ]
        )
    return audited_export(
        request,
        model=SegmentProposal,
        what=f"segment {segment}",
        headers=headers,
        rows=rows,
        filename=f"segment-{segment}",
    )


@login_required
@require_POST
def proposal_add(request: HttpRequest, segment: str) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    segment = _segment(segment)
    _require(user, "segments.add_proposal")
    form = ProposalForm(request.POST)
    if form.is_valid():
        try:
            services.proposal_create(actor=user, segment=segment, data=dict(form.cleaned_data))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Proposal recorded."))
            return redirect("segments:detail", segment)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("segments:detail", segment)


@login_required
@require_POST
def proposal_decide(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    proposal = selectors.proposals_for(user).filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404("No such proposal")
    _require(user, "segments.decide_proposal", proposal)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.proposal_decide(
                actor=user,
                proposal_id=proposal.pk,
                accept=form.cleaned_data["accept"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Decision saved."))
    return redirect("segments:detail", proposal.segment)
