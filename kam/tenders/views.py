"""Tender pages. Thin: parse input, ask policy, call selectors/services, render.

A role without tenders (sales support, finance, an administrator) gets 403; a client or tender the
user may not see gets 404, so ids don't leak existence.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
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
from kam.access.models import Department, User
from kam.core.exports import audited_export
from kam.core.forms import add_service_errors, flash_form_errors, flash_service_errors
from kam.core.pagination import paginate

from . import ical, selectors, services
from .forms import ItemForm, LotForm, ResultForm, StatusForm, TenderForm, responsible_people
from .models import Lot, LotItem, Platform, Tender, TenderStatus

EXPORT_LIMIT = 100_000
VIEW = "tenders.view_tenders"
CHANGE = "tenders.change_tender"
STATUS_COLOURS = {
    TenderStatus.PREPARING: "#2563eb",
    TenderStatus.SUBMITTED: "#d97706",
    TenderStatus.WON: "#15803d",
    TenderStatus.LOST: "#b91c1c",
    TenderStatus.CANCELLED: "#6b7280",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require(user: User, perm: str, obj: Any = None) -> None:
    if not policy.can(user, perm, obj):
        raise PermissionDenied


def _filter_context(user: User, flt: selectors.TenderFilter) -> dict[str, Any]:
    return {
        "flt": flt,
        "statuses": TenderStatus.choices,
        "platforms": Platform.choices,
        "kams": responsible_people().only("id", "first_name", "last_name", "username"),
        "departments": Department.objects.order_by("name"),
        "colours": STATUS_COLOURS,
    }


# -------------------------------------------------------------------------------------------- list


@login_required
def tender_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    flt = selectors.TenderFilter.from_params(request.GET)
    for bad in flt.errors:
        messages.warning(request, _("Ignored a date that is not a date: %(value)s") % {"value": bad})
    page = paginate(request, selectors.tender_list(user, flt))
    return render(
        request,
        "tenders/list.html",
        {
            "nav": "tenders",
            "page": page,
            "sort": flt.sort,
            "now": timezone.now(),
            "can_add": policy.can(user, CHANGE),
            "due_today": list(selectors.due_on(user, timezone.localdate())[:20]),
            **_filter_context(user, flt),
        },
    )


@login_required
def tender_export(request: HttpRequest) -> HttpResponse:
    """One row per lot (a tender without lots: one row), deadlines in the user's zone."""
    user = _user(request)
    _require(user, VIEW)
    flt = selectors.TenderFilter.from_params(request.GET)
    headers = [
        _("Customer"),
        _("INN"),
        _("Platform"),
        _("Notice number"),
        _("Title"),
        _("Published on"),
        _("Bid deadline"),
        _("Status"),
        _("Responsible KAM"),
        _("Lot"),
        _("Subject"),
        _("Initial price"),
        _("Our bid"),
        _("Result"),
        _("Winner"),
        _("Winning price"),
        _("Reasons"),
    ]
    tenders = selectors.tender_list(user, flt).prefetch_related("lots__winner")[:EXPORT_LIMIT]
    rows: list[list[Any]] = []
    for t in tenders:
        head = [
            t.client.short_name,
            t.client.tax_number,
            t.get_platform_display(),
            t.number,
            t.title,
            t.published_on,
            timezone.localtime(t.deadline).replace(tzinfo=None),
            t.get_status_display(),
            str(t.kam),
        ]
        lots = list(t.lots.all())
        if not lots:
            rows.append([*head, "", "", None, None, "", "", None, ""])
        for lot in lots:
            rows.append(
                [
                    *head,
                    lot.number,
                    lot.subject,
                    lot.initial_price,
                    lot.bid_amount,
                    lot.get_result_display() if lot.result else "",
                    lot.winner_display,
                    lot.winning_price,
                    lot.reasons,
                ]
            )
    return audited_export(request, model=Tender, what="tenders", headers=headers, rows=rows)


# ------------------------------------------------------------------------------------ one tender


@login_required
def tender_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    raw = (request.GET.get("client") or "").strip()
    client = (
        policy.get_client_for_user(user, int(raw), CHANGE) if raw.isdigit() and int(raw) < 2**53 else None
    )
    initial = {"kam": client.owner_id if client else user.pk, "time_zone": "Europe/Moscow"}
    form = TenderForm(request.POST or None, user=user, client=client, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        target = client or data.pop("client")
        if not policy.can(user, CHANGE, target):
            raise PermissionDenied
        try:
            tender = services.tender_create(user=user, client=target, data=data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Tender saved. Add its lots."))
            return redirect("tenders:detail", tender.pk)
    return render(
        request, "tenders/form.html", {"nav": "tenders", "form": form, "client": client, "tender": None}
    )


@login_required
def tender_edit(request: HttpRequest, tender_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    tender = selectors.tender_for(user, tender_id, CHANGE)
    form = TenderForm(request.POST or None, user=user, tender=tender)
    if request.method == "POST" and form.is_valid():
        try:
            services.tender_update(user=user, tender=tender, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Tender saved."))
            return redirect("tenders:detail", tender.pk)
    return render(
        request,
        "tenders/form.html",
        {"nav": "tenders", "form": form, "client": tender.client, "tender": tender},
    )


@login_required
def tender_detail(request: HttpRequest, tender_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    tender = selectors.tender_for(user, tender_id)
    can_change = policy.can(user, CHANGE, tender.client)
    lots = selectors.lots_of(tender)
    editable = tender.status in (TenderStatus.PREPARING, TenderStatus.SUBMITTED)
    return render(
        request,
        "tenders/detail.html",
        {
            "nav": "tenders",
            "tender": tender,
            "client": tender.client,
            "lots": lots,
            "can_change": can_change,
            "editable": can_change and editable,
            "results_open": can_change and tender.status == TenderStatus.SUBMITTED,
            "transitions": [(s, TenderStatus(s).label) for s in tender.allowed_transitions()],
            "lot_form": LotForm(initial={"number": (max((lot.number for lot in lots), default=0) + 1)}),
            "item_form": ItemForm(),
            "result_forms": {lot.pk: _result_form(lot) for lot in lots},
            "now": timezone.now(),
            "colours": STATUS_COLOURS,
            "totals": {
                "initial": sum((lot.initial_price for lot in lots), start=0),
                "bid": sum((lot.bid_amount or 0 for lot in lots), start=0),
            },
        },
    )


def _result_form(lot: Lot) -> ResultForm:
    return ResultForm(
        initial={
            "result": lot.result,
            "winner": lot.winner_id,
            "winner_name": lot.winner_name,
            "winning_price": lot.winning_price,
            "reasons": lot.reasons,
        },
        prefix=f"lot{lot.pk}",
    )


@login_required
@require_POST
def tender_status(request: HttpRequest, tender_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    tender = selectors.tender_for(user, tender_id, CHANGE)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            tender = services.tender_set_status(
                user=user,
                tender=tender,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"] or None,
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Status: %(status)s.") % {"status": tender.get_status_display()})
    else:
        flash_form_errors(request, form)
    return redirect("tenders:detail", tender.pk)


# ------------------------------------------------------------------------------------ lots, items


def _lot(user: User, lot_id: int) -> Lot:
    lot = get_object_or_404(Lot.objects.select_related("tender", "tender__client"), pk=lot_id)
    selectors.tender_for(user, lot.tender_id, CHANGE)
    return lot


def _lot_anchor(lot: Lot) -> str:
    return reverse("tenders:detail", args=[lot.tender_id]) + f"#lot-{lot.pk}"


@login_required
@require_POST
def lot_add(request: HttpRequest, tender_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    tender = selectors.tender_for(user, tender_id, CHANGE)
    form = LotForm(request.POST)
    if form.is_valid():
        try:
            lot = services.lot_add(user=user, tender=tender, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Lot %(n)s added.") % {"n": lot.number})
            return redirect(_lot_anchor(lot))
    flash_form_errors(request, form)
    return redirect("tenders:detail", tender.pk)


@login_required
def lot_edit(request: HttpRequest, lot_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    lot = _lot(user, lot_id)
    initial = {
        "number": lot.number,
        "subject": lot.subject,
        "initial_price": lot.initial_price,
        "bid_amount": lot.bid_amount,
    }
    form = LotForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["number"] = data.get("number") or lot.number
        try:
            services.lot_update(user=user, lot=lot, data=data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Lot saved."))
            return redirect(_lot_anchor(lot))
    return render(
        request, "tenders/lot_form.html", {"nav": "tenders", "form": form, "lot": lot, "tender": lot.tender}
    )


@login_required
@require_POST
def lot_result(request: HttpRequest, lot_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    lot = _lot(user, lot_id)
    form = ResultForm(request.POST, prefix=f"lot{lot.pk}")
    if form.is_valid():
        try:
            services.lot_set_result(user=user, lot=lot, data=form.cleaned_data)
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Result of lot %(n)s recorded.") % {"n": lot.number})
    else:
        flash_form_errors(request, form)
    return redirect(_lot_anchor(lot))


@login_required
@require_POST
def lot_delete(request: HttpRequest, lot_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    lot = _lot(user, lot_id)
    try:
        services.lot_delete(user=user, lot=lot)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("Lot deleted."))
    return redirect("tenders:detail", lot.tender_id)


@login_required
@require_POST
def item_add(request: HttpRequest, lot_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    lot = _lot(user, lot_id)
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            services.item_add(user=user, lot=lot, data=form.cleaned_data)
        except ValidationError as error:
            flash_service_errors(request, error)
    else:
        flash_form_errors(request, form)
    return redirect(_lot_anchor(lot))


@login_required
@require_POST
def item_delete(request: HttpRequest, item_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    item = get_object_or_404(LotItem.objects.select_related("lot", "lot__tender"), pk=item_id)
    selectors.tender_for(user, item.lot.tender_id, CHANGE)
    try:
        services.item_delete(user=user, item=item)
    except ValidationError as error:
        flash_service_errors(request, error)
    return redirect(_lot_anchor(item.lot))


# ---------------------------------------------------------------------------------------- calendar


def _month(request: HttpRequest) -> date:
    raw = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in raw.split("-", 1))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return date(year, month, 1)
    except ValueError:
        pass
    return timezone.localdate().replace(day=1)


@login_required
def tender_calendar(request: HttpRequest) -> HttpResponse:
    """A month of bid deadlines, by the user's own days; colour by status; filter by KAM or department."""
    user = _user(request)
    _require(user, VIEW)
    first = _month(request)
    flt = selectors.TenderFilter.from_params(request.GET)
    weeks_raw = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start = selectors.day_bounds(weeks_raw[0][0])[0]
    end = selectors.day_bounds(weeks_raw[-1][-1])[1]
    tenders = list(
        selectors.deadlines_between(user, start, end, kam_id=flt.kam_id, department_id=flt.department_id)[
            :2000
        ]
    )
    by_day: dict[date, list[Tender]] = {}
    for tender in tenders:
        by_day.setdefault(selectors.local_day(tender.deadline), []).append(tender)
    today = timezone.localdate()
    weeks = [
        [
            {"day": d, "tenders": by_day.get(d, []), "other": d.month != first.month, "today": d == today}
            for d in week
        ]
        for week in weeks_raw
    ]
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    in_month = [t for t in tenders if selectors.local_day(t.deadline).month == first.month]
    return render(
        request,
        "tenders/calendar.html",
        {
            "nav": "tenders",
            "first": first,
            "weeks": weeks,
            "month_tenders": in_month,
            "previous": previous.strftime("%Y-%m"),
            "following": following.strftime("%Y-%m"),
            "weekdays": [date(2024, 1, d) for d in range(1, 8)],  # a Monday-first week for the day names
            "zone": selectors.current_zone().key,
            "feed_url": request.session.pop("tender_feed_url", ""),
            "can_add": policy.can(user, CHANGE),
            **_filter_context(user, flt),
        },
    )


# ------------------------------------------------------------------------------------------ report


@login_required
def tender_report(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    flt = selectors.TenderFilter.from_params(request.GET)
    kams = selectors.win_rates(user, flt)
    competitors = selectors.losses_by_competitor(user, flt)
    if request.GET.get("fmt") in ("xlsx", "csv"):
        headers = [
            _("Who"),
            _("Tenders won"),
            _("Tenders lost"),
            _("Win rate, %"),
            _("Lots won"),
            _("Lots lost"),
            _("Amount won"),
            _("Reasons"),
        ]
        rows: list[list[Any]] = [
            [
                k.name,
                k.won,
                k.lost,
                round(k.win_rate * 100, 1) if k.win_rate is not None else None,
                k.lots_won,
                k.lots_lost,
                k.won_amount,
                "",
            ]
            for k in kams
        ]
        rows += [
            [
                _("Winner: %(name)s") % {"name": c.name},
                None,
                None,
                None,
                None,
                c.lots,
                c.winning_total,
                "; ".join(c.reasons),
            ]
            for c in competitors
        ]
        return audited_export(request, model=Tender, what="tender-results", headers=headers, rows=rows)
    return render(
        request,
        "tenders/report.html",
        {"nav": "tenders", "scores": kams, "competitors": competitors, **_filter_context(user, flt)},
    )


# ------------------------------------------------------------------------------------------- feed


@login_required
@require_POST
def feed_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    _token, raw = services.feed_token_issue(user=user)
    request.session["tender_feed_url"] = request.build_absolute_uri(reverse("tenders:feed", args=[raw]))
    messages.success(request, _("Your calendar link is below; earlier links no longer work."))
    return redirect("tenders:calendar")


@login_required
@require_POST
def feed_revoke(request: HttpRequest) -> HttpResponse:
    if services.feed_token_revoke(user=_user(request)):
        messages.success(request, _("The calendar link no longer works."))
    return redirect("tenders:calendar")


def feed(request: HttpRequest, token: str) -> HttpResponse:
    """No session: the secret in the URL is the key. Unknown or revoked → 404; access as on the pages."""
    user = services.feed_user(token)
    if user is None or not policy.can(user, VIEW):
        raise Http404("No such feed")
    now = timezone.now()
    tenders = selectors.deadlines_between(user, now - timedelta(days=60), now + timedelta(days=400))[:2000]
    body = ical.calendar_for(tenders, name=f"kam · {_('Tender deadlines')} · {user}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tenders.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
