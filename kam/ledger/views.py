from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.core import audit
from kam.core.audit import client_address
from kam.core.exports import csv_response
from kam.core.forms import add_service_errors
from kam.core.pagination import paginate

from . import importing, selectors, services
from .forms import MappingForm, UploadForm
from .models import ImportBatch, ImportStatus


def _importer(request: HttpRequest) -> User:
    """The user, if they may import the ledger; 403 otherwise (every ledger page asks)."""
    user: User = request.user  # type: ignore[assignment]
    if not policy.can(user, "ledger.import_ledger"):
        raise PermissionDenied
    return user


@login_required
def imports(request: HttpRequest) -> HttpResponse:
    user = _importer(request)
    page = paginate(request, selectors.import_batches(user), settings.KAM_PAGE_SIZE)
    return render(request, "ledger/imports.html", {"page": page, "nav": "ledger"})


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    user = _importer(request)
    form = UploadForm(request.POST or None, request.FILES or None, owners=selectors.prospect_owners(user))
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            batch = services.import_batch_create(
                uploaded_by=user,
                file_name=upload_file.name,
                fileobj=upload_file,
                options=form.options(),
                remote_addr=client_address(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if batch.status == ImportStatus.NEEDS_MAPPING:
                messages.info(request, _("Some columns were not recognised: tell which column holds what."))
                return redirect("ledger:mapping", batch_id=batch.pk)
            if batch.status == ImportStatus.QUEUED:
                services.import_enqueue(batch=batch)
            return redirect("ledger:batch", batch_id=batch.pk)
    return render(request, "ledger/upload.html", {"form": form, "nav": "ledger"})


@login_required
def mapping(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = _importer(request)
    batch = selectors.import_batch_for_user(user, batch_id)
    if batch.status != ImportStatus.NEEDS_MAPPING:
        return redirect("ledger:batch", batch_id=batch.pk)
    recognised, _problems = importing.resolve_mapping(batch.headers, batch.options.get("mapping") or {})
    form = MappingForm(request.POST or None, headers=batch.headers, initial_mapping=recognised)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.import_batch_map(batch=batch, mapping=form.mapping())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            services.import_enqueue(batch=batch)
            return redirect("ledger:batch", batch_id=batch.pk)
    return render(request, "ledger/mapping.html", {"form": form, "batch": batch, "nav": "ledger"})


STALLED_AFTER = timedelta(minutes=5)


def _batch_context(batch: ImportBatch) -> dict[str, object]:
    last_sign = batch.heartbeat_at or batch.created_at
    return {
        "batch": batch,
        "errors": batch.errors,
        "more_errors": batch.errors_total - len(batch.errors),
        "stalled": batch.is_active and last_sign is not None and timezone.now() - last_sign > STALLED_AFTER,
    }


@login_required
def batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = _importer(request)
    item = selectors.import_batch_for_user(user, batch_id)
    return render(request, "ledger/batch.html", {**_batch_context(item), "nav": "ledger"})


@login_required
def batch_status(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The part of the batch page htmx polls every second while the import runs."""
    user = _importer(request)
    item = selectors.import_batch_for_user(user, batch_id)
    return render(request, "ledger/_batch_status.html", _batch_context(item))


@login_required
def batch_errors(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = _importer(request)
    item = selectors.import_batch_for_user(user, batch_id)
    rows = [(row if row is not None else "", column, reason) for row, column, reason in item.errors]
    audit.record_export(
        user, ImportBatch, what=f"ledger import errors #{item.pk}", rows=len(rows), fmt="csv", request=request
    )
    return csv_response(f"import-{item.pk}-errors", [_("Row"), _("Column"), _("Reason")], rows)
