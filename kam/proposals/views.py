"""Proposal pages: thin; every decision is in services and the policy."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.access import policy
from kam.access.models import User
from kam.core import audit
from kam.core.exports import audited_export
from kam.core.forms import add_service_errors, flash_form_errors, flash_service_errors
from kam.core.pagination import paginate
from kam.orders.models import OrderSettings

from . import documents, selectors, services
from .forms import (
    STATUS_FILTER,
    HeaderForm,
    LineChangeForm,
    LineForm,
    NewProposalForm,
    RejectForm,
    TemplateForm,
)
from .models import Letterhead, Proposal, ProposalStatus, ProposalTemplate

VIEW, CHANGE, TEMPLATES = (
    "proposals.view_proposals",
    "proposals.change_proposal",
    "proposals.manage_templates",
)


def _user(request: HttpRequest, perm: str = VIEW) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, perm):
        raise PermissionDenied
    return user


def _filters(request: HttpRequest) -> dict[str, Any]:
    kam = request.GET.get("kam", "")
    return {
        "q": request.GET.get("q", "").strip()[:100],
        "status": request.GET.get("status", ""),
        "kam_id": int(kam) if kam.isdigit() and len(kam) < 16 else None,
        "sort": request.GET.get("sort", selectors.DEFAULT_SORT),
    }


@login_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = _filters(request)
    page = paginate(request, selectors.proposals_for_user(user, **filters), settings.KAM_PAGE_SIZE)
    return render(
        request,
        "proposals/list.html",
        {
            "page": page,
            **filters,
            "statuses": STATUS_FILTER,
            "next_sort": {
                key: (f"-{key}" if filters["sort"] == key else key)
                for key in ("number", "client", "status", "total", "valid", "created")
            },
            "kams": list(selectors.kams_in_scope(user)),
            "nav": "proposals",
            "can_create": policy.can(user, CHANGE),
            "can_templates": policy.can(user, TEMPLATES),
        },
    )


@login_required
def proposal_export(request: HttpRequest, fmt: str) -> HttpResponse:
    user = _user(request)
    filters = _filters(request)
    proposals = selectors.proposals_for_user(user, **filters)
    headers = [
        _("Number"),
        _("Version"),
        _("Client"),
        _("INN"),
        _("KAM"),
        _("Status"),
        _("Amount"),
        _("Valid until"),
        _("Created"),
        _("Sent"),
        _("Order"),
        _("Reason of rejection"),
    ]
    rows = [
        (
            p.number,
            p.version,
            p.client.short_name,
            p.client.tax_number,
            str(p.kam),
            str(p.get_status_display()),
            p.total,
            p.valid_until,
            timezone.localtime(p.created_at).date(),
            timezone.localtime(p.sent_at).date() if p.sent_at else None,
            p.order_id,
            p.reject_reason,
        )
        for p in proposals
    ]
    return audited_export(
        request,
        model=Proposal,
        what="proposals",
        headers=headers,
        rows=rows,
        sheet="kam",
        fmt=fmt,
        filters={k: v for k, v in filters.items() if v},
    )


@login_required
def proposal_create(request: HttpRequest) -> HttpResponse:
    user = _user(request, CHANGE)
    initial = {"client": request.GET.get("client"), "opportunity": request.GET.get("opportunity")}
    form = NewProposalForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        client = form.cleaned_data["client"]
        if not policy.can(user, CHANGE, client):
            form.add_error("client", _("You may not make proposals for this client."))
        else:
            try:
                proposal = services.proposal_create(
                    client=client,
                    actor=user,
                    template=form.cleaned_data["template"],
                    column=form.cleaned_data["column"],
                    opportunity=form.cleaned_data["opportunity"],
                    valid_until=form.cleaned_data["valid_until"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Proposal %(n)s created.") % {"n": proposal.number})
                return redirect("proposals:detail", proposal_id=proposal.pk)
    return render(request, "proposals/create.html", {"form": form, "nav": "proposals"})


@login_required
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user = _user(request)
    proposal = selectors.proposal_for_user(user, proposal_id)
    wanted = request.GET.get("version", "")
    number = int(wanted) if wanted.isdigit() and len(wanted) < 5 else None
    version = selectors.version_of(proposal, number)
    is_current = version.number == proposal.version
    can_change = policy.can(user, CHANGE, proposal)
    audit.record_view(user, proposal.client, request=request, what=f"proposal {proposal.number}")
    lines = selectors.version_lines(version)
    config = OrderSettings.current()
    editable = can_change and is_current and proposal.status == ProposalStatus.DRAFT and not version.locked
    context = {
        "proposal": proposal,
        "client": proposal.client,
        "version": version,
        "is_current": is_current,
        "versions": list(proposal.versions.select_related("created_by", "sent_by").order_by("-number")),
        "lines": lines,
        "events": proposal.events.select_related("actor"),
        "editable": editable,
        "can_send": editable and bool(lines),
        "can_decide": can_change and proposal.status == ProposalStatus.SENT,
        "can_revise": can_change and proposal.status in (ProposalStatus.SENT, ProposalStatus.EXPIRED),
        "can_make_order": proposal.status == ProposalStatus.ACCEPTED
        and proposal.order_id is None
        and policy.can(user, "orders.take_order", proposal.client),
        "below_floor": services.below_floor(version, config) if is_current and editable else [],
        "kam_max_discount": config.kam_max_discount,
        "header_form": HeaderForm(
            initial={
                "column": version.column,
                "valid_until": version.valid_until,
                "payment_terms": version.payment_terms,
                "delivery_terms": version.delivery_terms,
                "intro": version.intro,
                "terms": version.terms,
            }
        ),
        "line_form": LineForm(),
        "reject_form": RejectForm(),
        "nav": "proposals",
    }
    return render(request, "proposals/detail.html", context)


def _action(request: HttpRequest, proposal_id: int) -> tuple[User, Proposal]:
    user = _user(request)
    proposal = selectors.proposal_for_user(user, proposal_id)
    if not policy.can(user, CHANGE, proposal):
        raise PermissionDenied
    return user, proposal


def _back(proposal: Proposal) -> HttpResponse:
    return redirect("proposals:detail", proposal_id=proposal.pk)


def _form_action(
    request: HttpRequest,
    proposal: Proposal,
    form: forms.BaseForm,
    call: Callable[[dict[str, Any]], object],
    success: str = "",
) -> HttpResponse:
    """A posted form: its errors, or the service's, as messages; else the call and the success message."""
    if not form.is_valid():
        flash_form_errors(request, form)
    else:
        try:
            call(form.cleaned_data)
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            if success:
                messages.success(request, success)
    return _back(proposal)


@login_required
@require_POST
def proposal_update(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user, proposal = _action(request, proposal_id)
    return _form_action(
        request,
        proposal,
        HeaderForm(request.POST),
        lambda d: services.proposal_update(proposal_id=proposal.pk, actor=user, **d),
        _("Saved."),
    )


@login_required
@require_POST
def line_add(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user, proposal = _action(request, proposal_id)
    return _form_action(
        request,
        proposal,
        LineForm(request.POST),
        lambda d: services.proposal_line_add(
            proposal_id=proposal.pk,
            actor=user,
            product=d["product"],
            quantity=d["quantity"],
            discount=d["discount"] or Decimal(0),
        ),
    )


@login_required
@require_POST
def line_change(request: HttpRequest, proposal_id: int, position: int) -> HttpResponse:
    user, proposal = _action(request, proposal_id)
    return _form_action(
        request,
        proposal,
        LineChangeForm(request.POST),
        lambda d: services.proposal_line_change(
            proposal_id=proposal.pk,
            actor=user,
            position=position,
            quantity=d["quantity"],
            discount=d["discount"] or Decimal(0),
        ),
    )


@login_required
@require_POST
def line_remove(request: HttpRequest, proposal_id: int, position: int) -> HttpResponse:
    user, proposal = _action(request, proposal_id)
    try:
        services.proposal_line_remove(proposal_id=proposal.pk, actor=user, position=position)
    except ValidationError as error:
        flash_service_errors(request, error)
    return _back(proposal)


@login_required
@require_POST
def proposal_revise(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user, proposal = _action(request, proposal_id)
    try:
        version = services.proposal_revise(proposal_id=proposal.pk, actor=user)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(
            request, _("Version %(n)s started; the sent versions stay as they were.") % {"n": version.number}
        )
    return _back(proposal)


@login_required
@require_POST
def proposal_send(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user, proposal = _action(request, proposal_id)
    try:
        services.proposal_send(proposal_id=proposal.pk, actor=user)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("Marked as sent; this version can no longer be changed."))
    return _back(proposal)


@login_required
@require_POST
def proposal_accept(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user, proposal = _action(request, proposal_id)
    try:
        proposal = services.proposal_accept(proposal_id=proposal.pk, actor=user)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        if proposal.order_id:
            messages.success(
                request, _("Accepted: order #%(n)s is drafted from it.") % {"n": proposal.order_id}
            )
        else:
            messages.success(request, _("Accepted."))
    return _back(proposal)


@login_required
@require_POST
def proposal_reject(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user, proposal = _action(request, proposal_id)
    try:
        services.proposal_reject(proposal_id=proposal.pk, actor=user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("Rejected; the reason is recorded."))
    return _back(proposal)


@login_required
@require_POST
def proposal_make_order(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user = _user(request)
    proposal = selectors.proposal_for_user(user, proposal_id)
    try:
        proposal = services.proposal_make_order(proposal_id=proposal.pk, actor=user)
    except ValidationError as error:
        flash_service_errors(request, error)
        return _back(proposal)
    messages.success(request, _("Order #%(n)s is drafted from the proposal.") % {"n": proposal.order_id})
    return redirect("orders:detail", order_id=proposal.order_id)


@login_required
def proposal_pdf(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user = _user(request)
    proposal = selectors.proposal_for_user(user, proposal_id)
    wanted = request.GET.get("version", "")
    version = selectors.version_of(proposal, int(wanted) if wanted.isdigit() and len(wanted) < 5 else None)
    pdf = documents.proposal_pdf(proposal, version)
    audit.record_export(
        user,
        Proposal,
        what=f"proposal {proposal.number} v{version.number}",
        rows=1,
        fmt="pdf",
        request=request,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = documents.file_name(proposal, version)
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


# --------------------------------------------------------------------------- templates and letterhead


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    _user(request, TEMPLATES)
    return render(
        request,
        "proposals/templates.html",
        {"templates": selectors.templates(), "letterhead": Letterhead.current(), "nav": "proposals"},
    )


@login_required
def template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    user = _user(request, TEMPLATES)
    template = get_object_or_404(ProposalTemplate, pk=template_id) if template_id else None
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_save(actor=user, template=template, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Template saved."))
            return redirect("proposals:templates")
    return render(
        request, "proposals/template_form.html", {"form": form, "template": template, "nav": "proposals"}
    )


@login_required
def letterhead_edit(request: HttpRequest) -> HttpResponse:
    user = _user(request, TEMPLATES)

    class LetterheadForm(forms.ModelForm):
        class Meta:
            model = Letterhead
            fields = ["company_name", "details", "phone", "email"]
            widgets = {"details": forms.Textarea(attrs={"rows": 4})}

    form = LetterheadForm(request.POST or None, instance=Letterhead.current())
    if request.method == "POST" and form.is_valid():
        try:
            services.letterhead_save(actor=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Letterhead saved."))
            return redirect("proposals:templates")
    return render(request, "proposals/letterhead_form.html", {"form": form, "nav": "proposals"})
