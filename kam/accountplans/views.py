"""Account plan pages. Thin: parse input, ask policy, call selectors/services, render.

A role without plans (sales support, finance, the administrator) gets 403; a plan or client the user may
not see or change gets 404, so ids don't leak existence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kam.access import policy
from kam.access.models import User
from kam.core import audit
from kam.core.exports import audited_export
from kam.core.forms import add_service_errors, flash_form_errors
from kam.core.money import from_kopecks
from kam.core.pagination import paginate
from kam.orders.models import Product

from . import documents, selectors, services
from .forms import (
    ActionEditForm,
    ActionForm,
    ApproveForm,
    GoalForm,
    ObjectiveForm,
    PlanCreateForm,
    ReturnForm,
    StrategyForm,
    SwotForm,
)
from .models import AccountPlan, PlanStatus

VIEW = "accountplans.view_plans"
VIEW_PLAN = "accountplans.view_plan"
CHANGE = "accountplans.change_plan"
APPROVE = "accountplans.approve_plan"
EXPORT_LIMIT = 100_000
PRODUCTS_OFFERED = 500


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require(user: User, perm: str = VIEW) -> None:
    if not policy.can(user, perm):
        raise PermissionDenied


# -------------------------------------------------------------------------------------------- list


def _list_context(request: HttpRequest, user: User) -> tuple[selectors.PlanFilter, Any]:
    flt = selectors.PlanFilter.from_params(request.GET)
    return flt, selectors.plan_list(user, flt)


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user)
    flt, qs = _list_context(request, user)
    page = paginate(request, qs)
    year = timezone.localdate().year
    return render(
        request,
        "accountplans/list.html",
        {
            "nav": "accountplans",
            "page": page,
            "flt": flt,
            "statuses": PlanStatus.choices,
            "years": range(year + 1, year - 5, -1),
            "kams": list(selectors.filter_kams(user)),
            "departments": list(selectors.filter_departments(user)),
            "can_add": policy.can(user, CHANGE),
            "can_review": policy.can(user, APPROVE),
            "review_count": selectors.awaiting_review(user).count() if policy.can(user, APPROVE) else 0,
        },
    )


@login_required
def plan_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user)
    _flt, qs = _list_context(request, user)
    headers = [
        _("Client"),
        _("INN"),
        _("Year"),
        _("Status"),
        _("KAM"),
        _("Department"),
        _("Key client"),
        _("Revenue target, RUB"),
        _("Revenue year to date, RUB"),
        # xgettext:no-python-format
        _("Revenue, % of target"),
        _("Updated"),
    ]
    rows: list[list[Any]] = []
    for plan in qs[:EXPORT_LIMIT]:
        turnover = from_kopecks(plan.ytd_turnover)
        target = plan.revenue_target
        rows.append(
            [
                plan.client.short_name,
                plan.client.tax_number,
                plan.year,
                plan.get_status_display(),
                str(plan.owner),
                plan.client.department.name if plan.client.department else "",
                _("yes") if plan.is_key else _("no"),
                target,
                turnover,
                round(turnover / target * 100, 1) if target else None,
                timezone.localtime(plan.updated_at).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    return audited_export(
        request,
        model=AccountPlan,
        what="account plans",
        headers=headers,
        rows=rows,
        filename="account-plans",
        sheet="account plans",
    )


@login_required
def review(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, APPROVE)
    page = paginate(request, selectors.awaiting_review(user))
    return render(request, "accountplans/review.html", {"nav": "accountplans", "page": page})


# ------------------------------------------------------------------------------------------ create


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    initial: dict[str, Any] = {}
    raw = request.GET.get("client", "")
    if raw.isdigit():
        initial["client"] = policy.get_client_for_user(user, int(raw), CHANGE).pk
    form = PlanCreateForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        client = form.cleaned_data["client"]
        if not policy.can(user, CHANGE, client):
            form.add_error("client", _("You may not plan for this client."))
        else:
            try:
                plan = services.plan_create(
                    actor=user,
                    client=client,
                    year=form.cleaned_data["year"],
                    strategy=form.cleaned_data["strategy"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Account plan created. Add the objectives."))
                return redirect("accountplans:detail", plan.pk)
    year = timezone.localdate().year
    return render(
        request,
        "accountplans/create.html",
        {
            "nav": "accountplans",
            "form": form,
            "year": year,
            "key_without_plan": selectors.key_clients_without_plan(user, year),
        },
    )


# ------------------------------------------------------------------------------------------ detail


def _detail_context(request: HttpRequest, plan: AccountPlan, **forms: Any) -> dict[str, Any]:
    user = _user(request)
    can_change = policy.can(user, CHANGE, plan)
    stakeholders = selectors.client_stakeholders(plan)
    context: dict[str, Any] = {
        "nav": "accountplans",
        "plan": plan,
        "client": plan.client,
        "is_key": selectors.is_key_client(plan.client),
        "progress": selectors.plan_progress(plan),
        "swot": selectors.swot(plan),
        "goals": selectors.goal_rows(plan),
        "actions": selectors.action_rows(plan),
        "versions": list(selectors.versions(plan)),
        "can_change": can_change,
        "can_edit_now": can_change and plan.status != PlanStatus.SUBMITTED,
        "can_submit": can_change and plan.is_editable,
        "can_review": policy.can(user, APPROVE, plan) and plan.status == PlanStatus.SUBMITTED,
        "statuses": PlanStatus,
    }
    if context["can_edit_now"]:
        context.update(
            {
                "strategy_form": forms.get("strategy_form")
                or StrategyForm(initial={"strategy": plan.strategy}),
                "objective_form": forms.get("objective_form") or ObjectiveForm(),
                "swot_form": forms.get("swot_form") or SwotForm(),
                "goal_form": forms.get("goal_form") or GoalForm(stakeholders=stakeholders),
                "action_form": forms.get("action_form")
                or ActionForm(activities=selectors.linkable_activities(user, plan)),
                "products": list(
                    Product.objects.filter(active=True)
                    .order_by("code")
                    .values("code", "name")[:PRODUCTS_OFFERED]
                ),
                "has_stakeholders": stakeholders.exists(),
            }
        )
    if context["can_review"]:
        context["approve_form"] = ApproveForm()
        context["return_form"] = forms.get("return_form") or ReturnForm()
    return context


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    _require(user)
    plan = selectors.plan_for_user(user, plan_id)
    return render(request, "accountplans/detail.html", _detail_context(request, plan))


def _changeable(request: HttpRequest, plan_id: int) -> tuple[User, AccountPlan]:
    user = _user(request)
    _require(user)
    return user, selectors.plan_for_user(user, plan_id, CHANGE)


def _back(plan: AccountPlan, anchor: str = "") -> HttpResponse:
    return redirect(reverse("accountplans:detail", args=[plan.pk]) + (f"#{anchor}" if anchor else ""))


def _was_approved(plan: AccountPlan) -> bool:
    return plan.status == PlanStatus.APPROVED


def _after_edit(request: HttpRequest, plan: AccountPlan, reopened: bool, message: str) -> None:
    if reopened:
        messages.info(request, _("The approved plan is now a new draft; submit it again for review."))
    messages.success(request, message)


def _edit(
    request: HttpRequest,
    plan: AccountPlan,
    form: Any,
    form_name: str,
    anchor: str,
    action: Any,
    message: str,
) -> HttpResponse:
    reopened = _was_approved(plan)
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _after_edit(request, plan, reopened, message)
            return _back(plan, anchor)
    plan.refresh_from_db()
    # htmx swaps only successful answers: the form with its errors comes back as 200 to an htmx request.
    status = 200 if getattr(request, "htmx", False) else 422
    context = _detail_context(request, plan, **{form_name: form})
    return render(request, "accountplans/detail.html", context, status=status)


@login_required
@require_POST
def strategy_save(request: HttpRequest, plan_id: int) -> HttpResponse:
    user, plan = _changeable(request, plan_id)
    return _edit(
        request,
        plan,
        StrategyForm(request.POST),
        "strategy_form",
        "strategy",
        lambda d: services.plan_update_strategy(actor=user, plan=plan, strategy=d["strategy"]),
        _("Strategy saved."),
    )


@login_required
@require_POST
def objective_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    user, plan = _changeable(request, plan_id)
    return _edit(
        request,
        plan,
        ObjectiveForm(request.POST),
        "objective_form",
        "objectives",
        lambda d: services.objective_add(
            actor=user, plan=plan, kind=d["kind"], target=d["target"], product=d["product"], note=d["note"]
        ),
        _("Objective added."),
    )


@login_required
@require_POST
def swot_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    user, plan = _changeable(request, plan_id)
    return _edit(
        request,
        plan,
        SwotForm(request.POST),
        "swot_form",
        "swot",
        lambda d: services.swot_add(actor=user, plan=plan, kind=d["kind"], text=d["text"]),
        _("SWOT point added."),
    )


@login_required
@require_POST
def goal_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    user, plan = _changeable(request, plan_id)
    return _edit(
        request,
        plan,
        GoalForm(request.POST, stakeholders=selectors.client_stakeholders(plan)),
        "goal_form",
        "goals",
        lambda d: services.goal_add(
            actor=user,
            plan=plan,
            stakeholder=d["stakeholder"],
            target_attitude=d["target_attitude"],
            due_on=d["due_on"],
            note=d["note"],
        ),
        _("Relationship goal added."),
    )


@login_required
@require_POST
def action_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    user, plan = _changeable(request, plan_id)
    return _edit(
        request,
        plan,
        ActionForm(request.POST, activities=selectors.linkable_activities(user, plan)),
        "action_form",
        "actions",
        lambda d: services.action_add(
            actor=user,
            plan=plan,
            title=d["title"],
            activity=d.get("activity"),
            kind=d.get("kind", ""),
            planned_start=d.get("planned_start"),
            planned_end=d.get("planned_end"),
            place=d.get("place", ""),
        ),
        _("Action added; it is in the schedule."),
    )


DELETERS: dict[str, tuple[Callable[..., None], str]] = {
    "objective": (services.objective_delete, "objectives"),
    "swot": (services.swot_delete, "swot"),
    "goal": (services.goal_delete, "goals"),
    "action": (services.action_delete, "actions"),
}


@login_required
@require_POST
def part_delete(request: HttpRequest, plan_id: int, part: str, item_id: int) -> HttpResponse:
    user, plan = _changeable(request, plan_id)
    if part not in DELETERS:
        raise PermissionDenied
    deleter, anchor = DELETERS[part]
    reopened = _was_approved(plan)
    try:
        deleter(actor=user, plan=plan, item_id=item_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _after_edit(request, plan, reopened, _("Removed."))
    return _back(plan, anchor)


# -------------------------------------------------------------------------------------------- edit

# part → (the section of the plan page, the edit page's title, the message once saved)
EDITABLE_PARTS: dict[str, tuple[str, Any, Any]] = {
    "objective": ("objectives", gettext_lazy("Edit objective"), gettext_lazy("Objective saved.")),
    "swot": ("swot", gettext_lazy("Edit SWOT point"), gettext_lazy("SWOT point saved.")),
    "goal": ("goals", gettext_lazy("Edit relationship goal"), gettext_lazy("Relationship goal saved.")),
    "action": ("actions", gettext_lazy("Edit action"), gettext_lazy("Action saved.")),
}


def _part_form(user: User, plan: AccountPlan, part: str, item: Any, data: Any = None) -> Any:
    """The add form of the part, filled with the item (an action: its title and activity only)."""
    if part == "objective":
        initial = {
            "kind": item.kind,
            "target": item.target,
            "product": item.product.code if item.product else "",
            "note": item.note,
        }
        return ObjectiveForm(data, initial=initial)
    if part == "swot":
        return SwotForm(data, initial={"kind": item.kind, "text": item.text})
    if part == "goal":
        initial = {
            "stakeholder": item.stakeholder_id,
            "target_attitude": item.target_attitude,
            "due_on": item.due_on,
            "note": item.note,
        }
        return GoalForm(data, stakeholders=selectors.client_stakeholders(plan), initial=initial)
    return ActionEditForm(
        data,
        activities=selectors.action_activities(user, plan, item),
        initial={"title": item.title, "activity": item.activity_id},
    )


def _part_save(user: User, plan: AccountPlan, part: str, item_id: int, d: dict[str, Any]) -> None:
    if part == "objective":
        services.objective_update(
            actor=user,
            plan=plan,
            item_id=item_id,
            kind=d["kind"],
            target=d["target"],
            product=d["product"],
            note=d["note"],
        )
    elif part == "swot":
        services.swot_update(actor=user, plan=plan, item_id=item_id, kind=d["kind"], text=d["text"])
    elif part == "goal":
        services.goal_update(
            actor=user,
            plan=plan,
            item_id=item_id,
            stakeholder=d["stakeholder"],
            target_attitude=d["target_attitude"],
            due_on=d["due_on"],
            note=d["note"],
        )
    else:
        services.action_update(
            actor=user, plan=plan, item_id=item_id, title=d["title"], activity=d.get("activity")
        )


@login_required
def part_edit(request: HttpRequest, plan_id: int, part: str, item_id: int) -> HttpResponse:
    """The edit page of one objective, SWOT point, relationship goal or action: works without JavaScript.
    Same rules as adding: the KAM who may change the plan, not while it waits for the review; a change
    to an approved plan reopens it as a new draft."""
    user, plan = _changeable(request, plan_id)
    if part not in EDITABLE_PARTS:
        raise Http404("No such part of a plan")
    anchor, title, saved = EDITABLE_PARTS[part]
    item = selectors.plan_part(plan, part, item_id)
    if plan.status == PlanStatus.SUBMITTED:
        messages.error(request, _("The plan is waiting for the head's review: it cannot be changed now."))
        return _back(plan, anchor)
    form = _part_form(user, plan, part, item, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        reopened = _was_approved(plan)
        if form.is_valid():
            try:
                _part_save(user, plan, part, item.pk, form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                _after_edit(request, plan, reopened, str(saved))
                return _back(plan, anchor)
        plan.refresh_from_db()
        flash_form_errors(request, form)
        status = 422
    context: dict[str, Any] = {
        "nav": "accountplans",
        "plan": plan,
        "client": plan.client,
        "part": part,
        "item": item,
        "form": form,
        "title": title,
        "anchor": anchor,
        "statuses": PlanStatus,
    }
    if part == "objective":
        context["products"] = list(
            Product.objects.filter(active=True).order_by("code").values("code", "name")[:PRODUCTS_OFFERED]
        )
    return render(request, "accountplans/edit.html", context, status=status)


# ------------------------------------------------------------------------------------------ review


@login_required
@require_POST
def plan_submit(request: HttpRequest, plan_id: int) -> HttpResponse:
    user, plan = _changeable(request, plan_id)
    try:
        version = services.plan_submit(actor=user, plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Version %(number)s submitted for review.") % {"number": version.number})
    return _back(plan)


@login_required
@require_POST
def plan_approve(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, APPROVE)
    plan = selectors.plan_for_user(user, plan_id, APPROVE)
    form = ApproveForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        version = services.plan_approve(actor=user, plan=plan, comment=comment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Version %(number)s approved.") % {"number": version.number})
    if request.POST.get("next") == "review":
        return redirect("accountplans:review")
    return _back(plan)


@login_required
@require_POST
def plan_return(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, APPROVE)
    plan = selectors.plan_for_user(user, plan_id, APPROVE)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            version = services.plan_return(actor=user, plan=plan, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Version %(number)s returned to the KAM.") % {"number": version.number}
            )
            return _back(plan)
    return render(
        request, "accountplans/detail.html", _detail_context(request, plan, return_form=form), status=422
    )


@login_required
def version_detail(request: HttpRequest, plan_id: int, number: int) -> HttpResponse:
    user = _user(request)
    _require(user)
    plan = selectors.plan_for_user(user, plan_id)
    version = selectors.version_for(plan, number)
    return render(
        request,
        "accountplans/version.html",
        {"nav": "accountplans", "plan": plan, "version": version, "content": version.content},
    )


@login_required
def plan_pdf(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    _require(user)
    plan = selectors.plan_for_user(user, plan_id)
    copy = documents.INTERNAL_COPY if request.GET.get("copy") == "internal" else documents.CLIENT_COPY
    audit.record_view(user, plan, request=request, what=f"account plan ({copy})", door="pdf")
    response = HttpResponse(documents.plan_pdf(plan, copy), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="account-plan-{plan.client_id}-{plan.year}-{copy}.pdf"'
    )
    return response
