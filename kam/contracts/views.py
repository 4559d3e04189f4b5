"""Contract and claim pages. Thin: parse input, ask policy, call selectors/services, render.

A role without contracts (sales support, finance) gets 403; a client, contract or claim the user may not
see gets 404, so ids don't leak existence.
"""

from __future__ import annotations

from typing import Any

from django import forms
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
from kam.clients.models import Client
from kam.core.exports import audited_export
from kam.core.forms import add_service_errors
from kam.core.pagination import paginate

from . import selectors, services
from .forms import ClaimForm, ClauseForm, ContractForm, ResolveForm, client_picker
from .models import Claim, ClaimKind, ClaimStatus, Clause, Contract, ContractStatus

EXPORT_LIMIT = 100_000
VIEW = "contracts.view_contracts"
CHANGE = "contracts.change_contract"
VIEW_CLAIMS = "contracts.view_claims"
CHANGE_CLAIM = "contracts.change_claim"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require(user: User, perm: str) -> None:
    if not policy.can(user, perm):
        raise PermissionDenied


def _client_id(request: HttpRequest) -> int | None:
    raw = (request.GET.get("client") or request.POST.get("client") or "").strip()
    return int(raw) if raw.isdigit() else None


def _client_field(user: User) -> forms.ModelChoiceField:
    return client_picker(user)


# ---------------------------------------------------------------------------------------- contracts


def _contract_filters(request: HttpRequest) -> tuple[str, str]:
    status = request.GET.get("status", "")
    return (status if status in ContractStatus.values else ""), request.GET.get("q", "").strip()


@login_required
def contract_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    status, q = _contract_filters(request)
    headers = [
        _("Number"),
        _("Client"),
        _("INN"),
        _("Title"),
        _("Signed on"),
        _("Starts on"),
        _("Ends on"),
        _("Status"),
        _("Auto-renewal"),
        _("Renewal notice, days"),
        _("KAM"),
        _("Open clauses"),
    ]
    rows = [
        [
            c.number,
            c.client.short_name,
            c.client.tax_number,
            c.title,
            c.signed_on,
            c.starts_on,
            c.ends_on,
            c.get_status_display(),
            _("yes") if c.auto_renewal else _("no"),
            c.renewal_notice_days,
            str(c.owner),
            c.open_clauses,  # type: ignore[attr-defined]
        ]
        for c in selectors.contract_list(user, status=status, q=q)[:EXPORT_LIMIT]
    ]
    return audited_export(request, model=Contract, what="contracts", headers=headers, rows=rows)


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    status, q = _contract_filters(request)
    page = paginate(request, selectors.contract_list(user, status=status, q=q))
    today = timezone.localdate()
    return render(
        request,
        "contracts/list.html",
        {
            "nav": "contracts",
            "page": page,
            "status": status,
            "q": q,
            "statuses": ContractStatus.choices,
            "today": today,
            "can_add": policy.can(user, CHANGE),
            "renewals": list(selectors.renewals_due(user, today=today)[:20]),
            "overdue": list(selectors.overdue_obligations(user, today=today)[:20]),
        },
    )


@login_required
def contract_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    client_id = _client_id(request)
    client = policy.get_client_for_user(user, client_id, "contracts.change_contract") if client_id else None
    form = ContractForm(request.POST or None, initial={"owner": client.owner_id if client else user.pk})
    if client is None:
        form.fields = {"client": _client_field(user), **form.fields}
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        target = client or data.pop("client")
        if client is None and not policy.can(user, CHANGE, target):
            raise PermissionDenied
        try:
            contract = services.contract_create(user=user, client=target, data=data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Contract %(number)s saved.") % {"number": contract.number})
            return redirect("contracts:detail", contract.pk)
    return render(
        request, "contracts/form.html", {"nav": "contracts", "form": form, "client": client, "contract": None}
    )


@login_required
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    contract = selectors.contract_for(user, contract_id)
    return render(
        request,
        "contracts/detail.html",
        {
            "nav": "contracts",
            "contract": contract,
            "client": contract.client,
            "clauses": list(
                contract.clauses.select_related("responsible").order_by("done_on", "due_on", "pk")
            ),
            "clause_form": ClauseForm(),
            "can_change": policy.can(user, CHANGE, contract.client),
            "today": timezone.localdate(),
        },
    )


@login_required
def contract_edit(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    contract = selectors.contract_for(user, contract_id, CHANGE)
    initial = {f: getattr(contract, f) for f in services.CONTRACT_FIELDS}
    form = ContractForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(user=user, contract=contract, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Contract saved."))
            return redirect("contracts:detail", contract.pk)
    return render(
        request,
        "contracts/form.html",
        {"nav": "contracts", "form": form, "client": contract.client, "contract": contract},
    )


@login_required
@require_POST
def clause_add(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    contract = selectors.contract_for(user, contract_id, CHANGE)
    form = ClauseForm(request.POST)
    if form.is_valid():
        try:
            services.clause_add(user=user, contract=contract, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    else:
        messages.success(request, _("Clause added."))
    return redirect("contracts:detail", contract.pk)


def _clause(user: User, clause_id: int) -> Clause:
    clause = get_object_or_404(Clause.objects.select_related("contract", "contract__client"), pk=clause_id)
    selectors.contract_for(user, clause.contract_id, CHANGE)
    return clause


@login_required
@require_POST
def clause_done(request: HttpRequest, clause_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    clause = _clause(user, clause_id)
    if request.POST.get("undo"):
        services.clause_reopen(user=user, clause=clause)
    else:
        services.clause_mark_done(user=user, clause=clause)
    return redirect("contracts:detail", clause.contract_id)


@login_required
@require_POST
def clause_delete(request: HttpRequest, clause_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE)
    clause = _clause(user, clause_id)
    services.clause_delete(user=user, clause=clause)
    messages.success(request, _("Clause deleted."))
    return redirect("contracts:detail", clause.contract_id)


# ------------------------------------------------------------------------------------------- claims


def _claim_filters(request: HttpRequest) -> tuple[str, str, str]:
    status = request.GET.get("status", "open_any")
    if status not in ClaimStatus.values and status not in ("open_any", "all"):
        status = "open_any"
    kind = request.GET.get("kind", "")
    return status, (kind if kind in ClaimKind.values else ""), request.GET.get("q", "").strip()


@login_required
def claim_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW_CLAIMS)
    status, kind, q = _claim_filters(request)
    headers = [
        _("Client"),
        _("Kind"),
        _("Subject"),
        _("Registered on"),
        _("Deadline"),
        _("Assigned to"),
        _("Status"),
        _("Resolution"),
        _("Resolved on"),
    ]
    claims = selectors.claim_list(user, status="" if status == "all" else status, kind=kind, q=q)
    rows = [
        [
            c.client.short_name,
            c.get_kind_display(),
            c.subject,
            c.registered_on,
            c.deadline,
            str(c.assigned_to),
            c.get_status_display(),
            c.resolution,
            c.resolved_on,
        ]
        for c in claims[:EXPORT_LIMIT]
    ]
    return audited_export(request, model=Claim, what="claims", headers=headers, rows=rows)


@login_required
def claim_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW_CLAIMS)
    status, kind, q = _claim_filters(request)
    today = timezone.localdate()
    claims = selectors.claim_list(user, status="" if status == "all" else status, kind=kind, q=q, today=today)
    return render(
        request,
        "contracts/claim_list.html",
        {
            "nav": "contracts",
            "page": paginate(request, claims),
            "status": status,
            "kind": kind,
            "q": q,
            "statuses": ClaimStatus.choices,
            "kinds": ClaimKind.choices,
            "today": today,
            "can_add": policy.can(user, CHANGE_CLAIM),
        },
    )


@login_required
def claim_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE_CLAIM)
    client_id = _client_id(request)
    client = policy.get_client_for_user(user, client_id, CHANGE_CLAIM) if client_id else None
    form = ClaimForm(
        request.POST or None,
        initial={"registered_on": timezone.localdate(), "assigned_to": user.pk, "status": ClaimStatus.OPEN},
    )
    if client is None:
        form.fields = {"client": _client_field(user), **form.fields}
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        target: Client = client or data.pop("client")
        if client is None and not policy.can(user, CHANGE_CLAIM, target):
            raise PermissionDenied
        try:
            services.claim_create(user=user, client=target, data=data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Claim registered."))
            return redirect("contracts:claims")
    return render(request, "contracts/claim_form.html", {"nav": "contracts", "form": form, "client": client})


@login_required
def claim_edit(request: HttpRequest, claim_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE_CLAIM)
    claim = selectors.claim_for(user, claim_id, CHANGE_CLAIM)
    initial: dict[str, Any] = {f: getattr(claim, f) for f in services.CLAIM_FIELDS}
    form = ClaimForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_update(user=user, claim=claim, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Claim saved."))
            return redirect("contracts:claims")
    return render(
        request,
        "contracts/claim_form.html",
        {"nav": "contracts", "form": form, "client": claim.client, "claim": claim},
    )


@login_required
def claim_resolve(request: HttpRequest, claim_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, CHANGE_CLAIM)
    claim: Claim = selectors.claim_for(user, claim_id, CHANGE_CLAIM)
    form = ResolveForm(request.POST or None, initial={"resolution": claim.resolution})
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_resolve(
                user=user,
                claim=claim,
                resolution=form.cleaned_data["resolution"],
                rejected=form.cleaned_data["rejected"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Claim closed."))
            return redirect("contracts:claims")
    return render(
        request,
        "contracts/claim_resolve.html",
        {"nav": "contracts", "form": form, "client": claim.client, "claim": claim},
    )
