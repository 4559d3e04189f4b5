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

from kam.access import policy
from kam.access.models import Department, Role, User
from kam.core import audit
from kam.core.exports import xlsx_response
from kam.core.forms import add_service_errors

from . import documents, selectors, services
from .forms import (
    CommissionRulesForm,
    DepartmentPlanForm,
    FactorFormSet,
    PlanForm,
    TierFormSet,
    table_rows,
)
from .models import CommissionRules, DepartmentPlan, Plan
from .periods import Period


def _user(request: HttpRequest, perm: str) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, perm):
        raise PermissionDenied
    return user


def _period(text: str | None, kind: str = "month") -> Period:
    if text:
        try:
            return Period.parse(text)
        except ValueError:
            raise Http404("Bad period") from None
    return Period.containing(kind, timezone.localdate())


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    user = _user(request, "planning.view_plans")
    kind = request.GET.get("kind", "month")
    if kind not in ("month", "quarter", "year"):
        kind = "month"
    period = _period(request.GET.get("period"), kind)
    today = timezone.localdate()
    rows = selectors.kam_rows(user, period, today)
    context: dict[str, Any] = {
        "nav": "plans",
        "period": period,
        "today": today,
        "rows": rows,
        "departments": selectors.department_rows(user, period, rows, today),
        "kinds": [
            ("month", _("Month"), Period.containing("month", period.start)),
            ("quarter", _("Quarter"), Period.containing("quarter", period.start)),
            ("year", _("Year"), Period.containing("year", period.start)),
        ],
        "can_set": policy.can(user, "planning.set_plans"),
        "can_rules": policy.can(user, "planning.change_commission_rules"),
        "is_kam": user.role == Role.KAM,
    }
    return render(request, "planning/plans.html", context)


def _kam_or_404(kam_id: int) -> User:
    return get_object_or_404(User.objects.select_related("department"), pk=kam_id, role=Role.KAM)


@login_required
def plan_edit(request: HttpRequest, kam_id: int, period: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    kam = _kam_or_404(kam_id)
    may_set = policy.can(user, "planning.set_plans", kam)
    if not may_set and not policy.can(user, "planning.view_statement", kam):
        raise Http404("No such plan")
    if request.method == "POST" and not may_set:
        raise PermissionDenied
    chosen = _period(period)
    plan = Plan.objects.filter(kam=kam, period_kind=chosen.kind, period_start=chosen.start).first()
    initial = {n: getattr(plan, n) for n in services.FIGURES} if plan else {}
    form = PlanForm(request.POST or None, initial=initial) if may_set else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.plan_set(actor=user, kam=kam, period=chosen, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Plan saved."))
            return redirect(reverse("planning:plans") + f"?period={chosen.slug}")
    return render(
        request,
        "planning/plan_edit.html",
        {
            "nav": "plans",
            "kam": kam,
            "period": chosen,
            "plan": plan,
            "form": form,
            "history": selectors.plan_history(user, plan) if plan else [],
        },
    )


@login_required
def department_plan_edit(request: HttpRequest, department_id: int, period: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    department = get_object_or_404(Department, pk=department_id)
    if not policy.can(user, "planning.set_plans", department):
        raise Http404("No such plan")
    chosen = _period(period)
    plan = DepartmentPlan.objects.filter(
        department=department, period_kind=chosen.kind, period_start=chosen.start
    ).first()
    initial = {n: getattr(plan, n) for n in services.FIGURES} if plan else {}
    form = DepartmentPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.department_plan_set(
                actor=user, department=department, period=chosen, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Department plan saved."))
            return redirect(reverse("planning:plans") + f"?period={chosen.slug}")
    return render(
        request,
        "planning/department_plan_edit.html",
        {"nav": "plans", "department": department, "period": chosen, "plan": plan, "form": form},
    )


def _statement(request: HttpRequest, kam_id: int, month: str) -> selectors.Statement:
    user: User = request.user  # type: ignore[assignment]
    kam = selectors.get_kam_for_statement(user, kam_id)
    period = _period(month)
    if period.kind != "month":
        raise Http404("A statement is monthly")
    return selectors.statement(user, kam, period)


@login_required
def statement_mine(request: HttpRequest) -> HttpResponse:
    user = _user(request, "planning.view_plans")
    if user.role != Role.KAM:
        return redirect("planning:plans")
    return redirect(
        "planning:statement", kam_id=user.pk, month=Period.containing("month", timezone.localdate()).slug
    )


@login_required
def statement(request: HttpRequest, kam_id: int, month: str) -> HttpResponse:
    st = _statement(request, kam_id, month)
    audit.record_view(request.user, st.kam, request=request, what="commission statement")
    return render(request, "planning/statement.html", {"nav": "plans", "st": st})


@login_required
def statement_xlsx(request: HttpRequest, kam_id: int, month: str) -> HttpResponse:
    st = _statement(request, kam_id, month)
    headers, rows = documents.statement_rows(st)
    audit.record_export(
        request.user,
        User,
        what="commission statement",
        rows=len(st.deals),
        fmt="xlsx",
        request=request,
        filters={"kam": st.kam.pk, "month": st.month.slug},
    )
    return xlsx_response(f"commission-{st.kam.username}-{st.month.slug}", headers, rows, sheet=st.month.slug)


@login_required
def statement_pdf(request: HttpRequest, kam_id: int, month: str) -> HttpResponse:
    st = _statement(request, kam_id, month)
    pdf = documents.statement_pdf(st)
    audit.record_export(
        request.user,
        User,
        what="commission statement",
        rows=len(st.deals),
        fmt="pdf",
        request=request,
        filters={"kam": st.kam.pk, "month": st.month.slug},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="commission-{st.kam.username}-{st.month.slug}.pdf"'
    )
    return response


@login_required
def commission_rules(request: HttpRequest) -> HttpResponse:
    user = _user(request, "planning.change_commission_rules")
    current = CommissionRules.current()
    post = request.POST if request.method == "POST" else None
    form = CommissionRulesForm(post, initial={"base": current.base})
    # Initial rows only for showing: on a POST a blank row stays blank (unchanged forms are skipped).
    tier_rows = [{"min_amount": t.min_amount, "rate": t.rate} for t in current.tiers.all()]
    factor_rows = [{"from_pct": f.from_pct, "factor": f.factor} for f in current.factors.all()]
    tiers = TierFormSet(post, prefix="tiers", initial=None if post is not None else tier_rows)
    factors = FactorFormSet(post, prefix="factors", initial=None if post is not None else factor_rows)
    if post is not None and form.is_valid() and tiers.is_valid() and factors.is_valid():
        try:
            services.commission_rules_update(
                actor=user,
                base=form.cleaned_data["base"],
                tiers=table_rows(tiers, "min_amount", "rate"),
                factors=table_rows(factors, "from_pct", "factor"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Commission rules saved."))
            return redirect("planning:commission_rules")
    return render(
        request,
        "planning/commission_rules.html",
        {"nav": "plans", "form": form, "tiers": tiers, "factors": factors, "rules": current},
    )
