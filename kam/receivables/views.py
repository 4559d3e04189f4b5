"""Receivables pages. Thin: parse input, ask policy, call selectors/services, render.

Every door checks `receivables.view_receivables` (the role may see receivables at all) and, for one
client, the same rule on that client (404 when it is not theirs). Exports and PDFs are recorded.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
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
from kam.access.models import User
from kam.clients.models import Client
from kam.core import audit
from kam.core.exports import audited_export, xlsx_response
from kam.core.forms import add_service_errors
from kam.core.pagination import paginate
from kam.core.reports import invoice_cells, invoice_headers

from . import selectors, services
from .forms import CollectionActionForm, CreditLimitForm, CreditNoteForm, PaymentForm, PeriodForm
from .models import CreditNote, Invoice, Payment

VIEW = "receivables.view_receivables"
EXPORT_LIMIT = 100_000


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require(user: User, perm: str, obj: Any = None) -> None:
    if not policy.can(user, perm, obj):
        raise PermissionDenied


def _client(user: User, client_id: int, perm: str = VIEW) -> Client:
    """The client whose receivables `user` may see (403 for roles without receivables, else 404)."""
    _require(user, VIEW)
    client = policy.get_client_for_user(user, client_id, VIEW)
    if perm != VIEW:
        _require(user, perm, client)
    return client


def _messages_of(form: Any) -> list[str]:
    return [str(message) for errors in form.errors.values() for message in errors]


def _date_param(request: HttpRequest, name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.GET.get(name, "").strip())
    except ValueError:
        return default


def _group_by(request: HttpRequest) -> selectors.GroupBy:
    by = request.GET.get("by", "client")
    return by if by in ("client", "kam", "department") else "client"  # type: ignore[return-value]


# --------------------------------------------------------------------------- aging


@login_required
def aging(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    on = _date_param(request, "on", timezone.localdate())
    by = _group_by(request)
    rows = selectors.aging(user, on=on, group_by=by)
    context = {
        "nav": "receivables",
        "tab": "aging",
        "rows": rows,
        "totals": selectors.aging_totals(rows),
        "on": on,
        "by": by,
        "labels": selectors.bucket_labels(),
        "buckets": selectors.BUCKETS,
    }
    return render(request, "receivables/aging.html", context)


@login_required
def aging_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    on = _date_param(request, "on", timezone.localdate())
    by = _group_by(request)
    rows = selectors.aging(user, on=on, group_by=by)
    labels = selectors.bucket_labels()
    headers = [
        {"client": _("Client"), "kam": _("KAM"), "department": _("Department")}[by],
        *[labels[b] for b in selectors.BUCKETS],
        _("Overdue"),
        _("Total"),
        _("Invoices"),
        _("Oldest due date"),
    ]
    data = [[r.label, *r.buckets(), r.overdue, r.total, r.invoices, r.oldest_due_on] for r in rows]
    return audited_export(
        request,
        model=Invoice,
        what="aging",
        headers=headers,
        rows=data,
        filename=f"aging-{by}-{on}",
        sheet=_("Aging"),
        fmt="xlsx",
        filters={"on": str(on), "by": by},
    )


# --------------------------------------------------------------------------- invoices and payments


def _invoice_filters(request: HttpRequest) -> dict[str, Any]:
    state = request.GET.get("state", "")
    return {
        "state": state if state in ("open", "overdue", "paid") else "",
        "search": request.GET.get("q", "").strip()[:100],
    }


@login_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    flt = _invoice_filters(request)
    today = timezone.localdate()
    page = paginate(request, selectors.invoice_list(user, on=today, **flt), settings.KAM_PAGE_SIZE)
    context = {"nav": "receivables", "tab": "invoices", "page": page, "flt": flt, "today": today}
    return render(request, "receivables/invoice_list.html", context)


@login_required
def invoice_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    flt = _invoice_filters(request)
    invoices = selectors.invoice_list(user, on=timezone.localdate(), **flt)[:EXPORT_LIMIT]
    headers = invoice_headers()
    rows = [invoice_cells(i) for i in invoices]
    return audited_export(
        request,
        model=Invoice,
        what="invoices",
        headers=headers,
        rows=rows,
        sheet=_("Invoices"),
        fmt="xlsx",
        filters=flt,
    )


@login_required
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    invoice = (
        selectors.with_open_amount(Invoice.objects.filter(pk=invoice_id))
        .select_related("client", "client__owner")
        .first()
    )
    if invoice is None or not policy.can(user, VIEW, invoice.client):
        raise Http404
    context = {
        "nav": "receivables",
        "tab": "invoices",
        "invoice": invoice,
        "client": invoice.client,
        "allocations": invoice.allocations.select_related("payment").order_by("payment__received_on", "id"),
        "credit_notes": invoice.credit_notes.all(),
        "actions": invoice.collection_actions.select_related("by"),
        "days_overdue": max(0, (timezone.localdate() - invoice.due_on).days) if invoice.open_amount else 0,
    }
    return render(request, "receivables/invoice_detail.html", context)


@login_required
def payment_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    page = paginate(request, selectors.payment_list(user), settings.KAM_PAGE_SIZE)
    return render(
        request, "receivables/payment_list.html", {"nav": "receivables", "tab": "payments", "page": page}
    )


def _open_invoices(client: Client) -> list[Invoice]:
    return list(
        selectors.with_open_amount(Invoice.objects.filter(client=client))
        .filter(open_amount__gt=0)
        .order_by("due_on", "issued_on", "id")
    )


@login_required
def payment_record(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = _client(user, client_id, "receivables.record_payment")
    invoices = _open_invoices(client)
    form = PaymentForm(
        request.POST or None, open_invoices=invoices, initial={"invoice": request.GET.get("invoice")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.payment_record(
                client=client,
                received_on=form.cleaned_data["received_on"],
                amount=form.cleaned_data["amount"],
                reference=form.cleaned_data["reference"],
                actor=user,
                allocate=form.allocation(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            left = services.payment_unallocated(payment)
            messages.success(request, _("Payment recorded."))
            if left > 0:
                messages.info(request, _("%(left)s stays unallocated as an advance.") % {"left": left})
            return redirect("receivables:client", client_id=client.pk)
    context = {"nav": "receivables", "client": client, "form": form, "title": _("Record a payment")}
    return render(request, "receivables/form.html", context)


@login_required
def credit_note_create(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = _client(user, client_id, "receivables.add_credit_note")
    form = CreditNoteForm(
        request.POST or None,
        open_invoices=_open_invoices(client),
        initial={"invoice": request.GET.get("invoice")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.credit_note_create(
                client=client,
                invoice=form.chosen_invoice(),
                amount=form.cleaned_data["amount"],
                issued_on=form.cleaned_data["issued_on"],
                reason=form.cleaned_data["reason"],
                actor=user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Credit note issued."))
            return redirect("receivables:client", client_id=client.pk)
    context = {"nav": "receivables", "client": client, "form": form, "title": _("Issue a credit note")}
    return render(request, "receivables/form.html", context)


# --------------------------------------------------------------------------- one client


@login_required
def client_receivables(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = _client(user, client_id)
    today = timezone.localdate()
    invoices = selectors.with_open_amount(Invoice.objects.filter(client=client)).order_by(
        "-issued_on", "-id"
    )[:100]
    context = {
        "nav": "receivables",
        "client": client,
        "today": today,
        "open": selectors.open_receivables(client.pk),
        "overdue": selectors.overdue_debt(client.pk, on=today),
        "advance": selectors.client_advance(client.pk),
        "score": selectors.credit_score(client.pk, on=today),
        "promise": selectors.latest_promise(client.pk, on=today),
        "invoices": invoices,
        "payments": selectors.payment_list(user, client_id=client.pk)[:50],
        "credit_notes": CreditNote.objects.filter(client=client).select_related("invoice")[:50],
        "actions": selectors.collection_history(client.pk)[:100],
        "action_form": CollectionActionForm(),
        "limit_form": CreditLimitForm(initial={"limit": client.credit_limit}),
        "can_pay": policy.can(user, "receivables.record_payment", client),
        "can_credit": policy.can(user, "receivables.add_credit_note", client),
        "can_limit": policy.can(user, "receivables.set_credit_limit", client),
        "can_act": policy.can(user, "receivables.add_collection_action", client),
    }
    return render(request, "receivables/client.html", context)


@login_required
@require_POST
def collection_action_add(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = _client(user, client_id, "receivables.add_collection_action")
    form = CollectionActionForm(request.POST)
    if form.is_valid():
        invoice = None
        invoice_id = request.POST.get("invoice")
        if invoice_id and invoice_id.isdigit():
            invoice = Invoice.objects.filter(pk=int(invoice_id), client=client).first()
        try:
            services.collection_action_add(client=client, invoice=invoice, actor=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        for message in _messages_of(form):
            messages.error(request, message)
    else:
        messages.success(request, _("Collection action recorded."))
    return redirect("receivables:client", client_id=client.pk)


@login_required
@require_POST
def credit_limit_set(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = _client(user, client_id, "receivables.set_credit_limit")
    form = CreditLimitForm(request.POST)
    if form.is_valid():
        try:
            services.credit_limit_set(client=client, limit=form.cleaned_data["limit"], actor=user)
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        for message in _messages_of(form):
            messages.error(request, message)
    else:
        messages.success(request, _("Credit limit set."))
    return redirect("receivables:client", client_id=client.pk)


# --------------------------------------------------------------------------- collection worklist


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, VIEW)
    on = _date_param(request, "on", timezone.localdate())
    rows = selectors.collection_worklist(user, on=on)
    return render(
        request,
        "receivables/worklist.html",
        {"nav": "receivables", "tab": "collection", "rows": rows, "on": on},
    )


# --------------------------------------------------------------------------- reconciliation statement


def _statement(request: HttpRequest, client_id: int) -> tuple[Client, PeriodForm, selectors.Statement | None]:
    user = _user(request)
    client = _client(user, client_id)
    today = timezone.localdate()
    params = request.GET if "start" in request.GET else {"start": today.replace(month=1, day=1), "end": today}
    form = PeriodForm(params)
    statement = None
    if form.is_valid():
        statement = selectors.reconciliation(
            client, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
        )
    return client, form, statement


@login_required
def statement(request: HttpRequest, client_id: int) -> HttpResponse:
    client, form, st = _statement(request, client_id)
    context = {"nav": "receivables", "client": client, "form": form, "st": st}
    return render(request, "receivables/statement.html", context)


@login_required
def statement_export(request: HttpRequest, client_id: int, fmt: str) -> HttpResponse:
    client, _form, st = _statement(request, client_id)
    if st is None:
        messages.error(request, _("Choose a valid period."))
        return redirect("receivables:statement", client_id=client.pk)
    filters = {"client": client.pk, "start": str(st.start), "end": str(st.end)}
    audit.record_export(
        request.user,
        Payment,
        what="reconciliation statement",
        rows=len(st.lines),
        fmt=fmt,
        filters=filters,
        request=request,
    )
    name = f"reconciliation-{client.pk}-{st.start}-{st.end}"
    if fmt == "pdf":
        from weasyprint import HTML

        html = render_to_string(
            "receivables/statement_pdf.html", {"st": st, "client": client}, request=request
        )
        pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    headers = [_("Date"), _("Document"), _("Debit (client owes)"), _("Credit (client paid)"), _("Balance")]
    rows: list[list[Any]] = [[st.start, _("Opening balance"), None, None, st.opening]]
    balance = st.opening
    for line in st.lines:
        balance += line.debit - line.credit
        rows.append([line.day, line.document, line.debit or None, line.credit or None, balance])
    rows.append([st.end, _("Turnover for the period"), st.debit_total, st.credit_total, None])
    rows.append([st.end, _("Closing balance"), None, None, st.closing])
    return xlsx_response(name, headers, rows, sheet=_("Reconciliation"))


# --------------------------------------------------------------------------- import

MAX_UPLOAD = 20 * 1024 * 1024


@login_required
def import_file(request: HttpRequest) -> HttpResponse:
    from . import importing
    from .forms import ImportForm

    user = _user(request)
    _require(user, "receivables.import")
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("The file is larger than 20 MB; split it."))
        else:
            result = importing.import_file(
                upload,
                kind=form.cleaned_data["kind"],
                actor=user,
                take_good_rows=form.cleaned_data["take_good_rows"],
                name=upload.name,
            )
            if result.written:
                messages.success(
                    request,
                    _("Imported %(created)s, already there %(skipped)s.")
                    % {"created": result.created, "skipped": result.skipped},
                )
            elif result.ok:
                messages.info(
                    request,
                    _("Nothing new: %(skipped)s rows were imported before.") % {"skipped": result.skipped},
                )
            else:
                messages.error(request, _("Nothing was imported from rows with errors; see the list below."))
    context = {"nav": "receivables", "tab": "import", "form": form, "result": result}
    return render(request, "receivables/import.html", context)
