from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.access import policy
from kam.access.models import Role, User
from kam.clients.models import Client
from kam.core import audit
from kam.core.forms import add_service_errors

from . import conf, ical, selectors, services
from .brief import brief_context
from .forms import ActivityForm, ActualStartForm, ChecklistForm, CompleteForm, FeedbackForm, WeeklyPlanForm
from .models import Activity, Kind


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require_schedule(user: User) -> None:
    if not policy.can(user, "activities.view_schedule"):
        raise PermissionDenied


def _kam_for(request: HttpRequest) -> User:
    """The KAM whose schedule is shown (?kam=id); another KAM's schedule is 404 for those who may not."""
    user = _user(request)
    _require_schedule(user)
    raw = request.GET.get("kam") or request.POST.get("kam")
    if not raw:
        return user
    kam = User.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if kam is None or not policy.can(user, "activities.view_kam_schedule", kam):
        raise Http404("No such schedule")
    return kam


def _day_param(request: HttpRequest) -> date:
    raw = request.GET.get("d", "")
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        messages.warning(request, _("Unknown date %(d)s: showing today.") % {"d": raw})
        return timezone.localdate()


def _frame(request: HttpRequest, kam: User) -> dict[str, Any]:
    user = _user(request)
    return {
        "nav": "schedule",
        "kam": kam,
        "kams": selectors.schedulable_kams(user) if user.role != Role.KAM else [],
        "kam_param": f"kam={kam.pk}&" if kam.pk != user.pk else "",
        "tolerance_minutes": int(conf.tolerance().total_seconds() // 60),
    }


@login_required
def week(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    kam = _kam_for(request)
    monday = services.week_monday(_day_param(request))
    activities = selectors.schedule_of(user, kam, monday, 7)
    plan, fulfilment = selectors.weekly_fulfilment(kam, monday)
    context = {
        **_frame(request, kam),
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "iso": monday.isocalendar(),
        "prev": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "days": selectors.week_days(activities, monday),
        "plan": plan,
        "fulfilment": fulfilment,
        "plan_form": WeeklyPlanForm(
            initial={"visits": plan.visits if plan else 0, "calls": plan.calls if plan else 0}
        ),
        "due": selectors.clients_due_for_visit(user, kam, limit=15),
        "every_days": conf.visit_every_days(),
        "feeds": list(selectors.feeds_of(user)) if kam.pk == user.pk else [],
    }
    return render(request, "activities/week.html", context)


@login_required
def month(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    kam = _kam_for(request)
    day = _day_param(request)
    first = day.replace(day=1)
    context = {
        **_frame(request, kam),
        "first": first,
        "prev": (first - timedelta(days=1)).replace(day=1),
        "next": (first + timedelta(days=32)).replace(day=1),
        "weeks": selectors.month_grid(user, kam, first.year, first.month),
    }
    return render(request, "activities/month.html", context)


@login_required
@require_POST
def plan_set(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    kam = _kam_for(request)
    monday = _day_param_post(request)
    form = WeeklyPlanForm(request.POST)
    if form.is_valid():
        services.weekly_plan_set(user=user, kam=kam, week_start=monday, **form.cleaned_data)
        messages.success(request, _("Weekly plan saved."))
    else:
        messages.error(request, _("The plan was not saved: give whole numbers of visits and calls."))
    suffix = f"&kam={kam.pk}" if kam.pk != user.pk else ""
    return redirect(f"{_url('activities:week')}?d={monday.isoformat()}{suffix}")


def _day_param_post(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.POST.get("d", ""))
    except ValueError:
        return timezone.localdate()


def _url(name: str, *args: Any) -> str:
    from django.urls import reverse

    return reverse(name, args=args)


def _plannable_clients(user: User) -> Any:
    return policy.visible_clients(user, Client.objects.filter(status__in=["active", "prospect"]))


@login_required
def activity_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_schedule(user)
    client = None
    raw_client = request.GET.get("client")
    if raw_client and raw_client.isdigit():
        client = policy.get_client_for_user(user, int(raw_client), "activities.plan_activity")
    follows = None
    raw_follows = request.GET.get("follows") or request.POST.get("follows")
    if raw_follows and raw_follows.isdigit():
        follows = selectors.get_activity_for_user(user, int(raw_follows), "activities.change_activity")
    initial: dict[str, Any] = {"kind": request.GET.get("kind", Kind.VISIT)}
    if follows is not None:
        initial.update(services.follow_up_initial(follows))
        client = follows.client
    else:
        start = (timezone.localtime() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
        initial.update({"planned_start": start, "planned_end": start + timedelta(hours=1)})
    clients = _plannable_clients(user)
    form = ActivityForm(request.POST or None, initial=initial, clients=clients, client=client)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = client or data["client"]
        if not policy.can(user, "activities.plan_activity", target):
            raise Http404("No such client")
        try:
            activity = services.activity_create(
                user=user,
                client=target,
                kind=data["kind"],
                planned_start=data["planned_start"],
                planned_end=data["planned_end"],
                place=data["place"],
                goal=data["goal"],
                participants=data["participants"],
                stakeholders=data["stakeholders"],
                follows=follows,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Planned: %(activity)s") % {"activity": activity})
            return redirect("activities:detail", activity.pk)
    return render(
        request,
        "activities/activity_form.html",
        {"form": form, "client": client, "follows": follows, "nav": "schedule"},
    )


@login_required
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = _user(request)
    activity = selectors.get_activity_for_user(user, activity_id)
    can_change = policy.can(user, "activities.change_activity", activity)
    local_start = timezone.localtime(activity.actual_start or timezone.now())
    context = {
        "nav": "schedule",
        "activity": activity,
        "participants": list(activity.participants.all()),
        "stakeholders": list(activity.stakeholders.all()),
        "can_change": can_change,
        "can_brief": policy.can(user, "clients.view_dossier", activity.client),
        "complete_form": CompleteForm(initial={"outcome": activity.outcome, "next_step": activity.next_step}),
        "start_form": ActualStartForm(initial={"actual_start": local_start}),
        "tolerance_minutes": int(conf.tolerance().total_seconds() // 60),
    }
    return render(request, "activities/activity_detail.html", context)


@login_required
def activity_edit(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = _user(request)
    activity = selectors.get_activity_for_user(user, activity_id, "activities.change_activity")
    initial = {
        "kind": activity.kind,
        "planned_start": timezone.localtime(activity.planned_start),
        "planned_end": timezone.localtime(activity.planned_end),
        "place": activity.place,
        "goal": activity.goal,
        "participants": list(activity.participants.all()),
        "stakeholders": list(activity.stakeholders.all()),
    }
    form = ActivityForm(
        request.POST or None,
        initial=initial,
        clients=Client.objects.filter(pk=activity.client_id),
        client=activity.client,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.activity_update(
                user=user,
                activity=activity,
                data={k: data[k] for k in ("kind", "planned_start", "planned_end", "place", "goal")},
                participants=data["participants"],
                stakeholders=data["stakeholders"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("activities:detail", activity.pk)
    return render(
        request,
        "activities/activity_form.html",
        {"form": form, "client": activity.client, "activity": activity, "nav": "schedule"},
    )


def _act(request: HttpRequest, activity_id: int, fn: Any, done: str) -> HttpResponse:
    user = _user(request)
    activity = selectors.get_activity_for_user(user, activity_id, "activities.change_activity")
    try:
        fn(user, activity)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect(request.POST.get("next") or _url("activities:detail", activity.pk))


@login_required
@require_POST
def activity_start(request: HttpRequest, activity_id: int) -> HttpResponse:
    at: datetime | None = None
    if "actual_start" in request.POST:
        form = ActualStartForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Enter the actual start as a date and time."))
            return redirect("activities:detail", activity_id)
        at = form.cleaned_data["actual_start"]
    return _act(
        request,
        activity_id,
        lambda user, activity: services.activity_start(user=user, activity=activity, at=at),
        _("Actual start recorded."),
    )


@login_required
@require_POST
def activity_complete(request: HttpRequest, activity_id: int) -> HttpResponse:
    form = CompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write down the outcome."))
        return redirect("activities:detail", activity_id)
    return _act(
        request,
        activity_id,
        lambda user, activity: services.activity_complete(user=user, activity=activity, **form.cleaned_data),
        _("Marked as held."),
    )


@login_required
@require_POST
def activity_cancel(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _act(
        request,
        activity_id,
        lambda user, activity: services.activity_cancel(user=user, activity=activity),
        _("Cancelled; calendars subscribed to the feed will show it as cancelled."),
    )


@login_required
@require_POST
def activity_checklist(request: HttpRequest, activity_id: int) -> HttpResponse:
    form = ChecklistForm(request.POST)

    def tick(user: User, activity: Activity) -> Activity:
        if not form.is_valid():  # unknown items: say so, and keep the ticks as they were
            raise ValidationError(_("Tick only the items of the checklist."))
        return services.activity_tick_checklist(
            user=user, activity=activity, ticked=form.cleaned_data["ticked"]
        )

    return _act(request, activity_id, tick, _("Checklist saved."))


def _brief_activity(request: HttpRequest, activity_id: int) -> Activity:
    user = _user(request)
    activity = selectors.get_activity_for_user(user, activity_id)
    if not policy.can(user, "clients.view_dossier", activity.client):
        raise Http404("No such activity")
    return activity


@login_required
def brief(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = _user(request)
    activity = _brief_activity(request, activity_id)
    audit.record_view(user, activity.client, request=request, what="brief", door="page")
    context = brief_context(user, activity)
    context.update(
        {"nav": "schedule", "can_change": policy.can(user, "activities.change_activity", activity)}
    )
    return render(request, "activities/brief.html", context)


@login_required
def brief_pdf(request: HttpRequest, activity_id: int) -> HttpResponse:
    from weasyprint import HTML

    user = _user(request)
    activity = _brief_activity(request, activity_id)
    audit.record_view(user, activity.client, request=request, what="brief", door="pdf")
    html = render_to_string("activities/brief_pdf.html", brief_context(user, activity), request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="brief-{activity.pk}.pdf"'
    return response


@login_required
def punctuality(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_schedule(user)
    today = timezone.localdate()
    try:
        first = (
            date.fromisoformat(request.GET.get("from", ""))
            if request.GET.get("from")
            else today.replace(day=1)
        )
        last = date.fromisoformat(request.GET.get("to", "")) if request.GET.get("to") else today
    except ValueError:
        messages.warning(request, _("Unknown dates: showing this month."))
        first, last = today.replace(day=1), today
    if last < first:
        first, last = last, first
    if (last - first).days > 366:
        first = last - timedelta(days=366)
        messages.warning(request, _("The report covers at most a year."))
    rows = selectors.punctuality_report(user, first, last)
    return render(
        request,
        "activities/punctuality.html",
        {
            "nav": "schedule",
            "rows": rows,
            "first": first,
            "last": last,
            "tolerance_minutes": int(conf.tolerance().total_seconds() // 60),
        },
    )


# ------------------------------------------------------------------ feed


@login_required
@require_POST
def feed_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_schedule(user)
    _token, raw = services.feed_token_issue(user=user)
    url = request.build_absolute_uri(_url("activities:feed", raw))
    return render(request, "activities/feed_new.html", {"nav": "schedule", "feed_url": url})


@login_required
@require_POST
def feed_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if services.feed_token_revoke(user=_user(request), token_id=token_id):
        messages.success(request, _("The calendar link no longer works."))
    return redirect("activities:week")


def feed(request: HttpRequest, token: str) -> HttpResponse:
    """No session: the secret in the URL is the key. Unknown or revoked → 404."""
    user = services.feed_user(token)
    if user is None:
        raise Http404("No such feed")
    body = ical.calendar_for(selectors.feed_activities(user), name=f"kam · {user}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kam.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# ------------------------------------------------------------------ feedback


@login_required
@require_POST
def feedback_add(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = policy.get_client_for_user(user, client_id, "activities.add_feedback")
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_add(user=user, client=client, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Feedback recorded."))
    else:
        for field, errors in form.errors.as_data().items():
            for problem in errors:
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{label}: {' '.join(problem.messages)}")
    return redirect("clients:dossier_tab", client.pk, "feedback")
