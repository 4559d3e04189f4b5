"""Reads on the sales ledger, filtered through kam.access.policy."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kam.access import policy
from kam.access.models import User
from kam.clients.selectors import kams_visible_to

from .models import ImportBatch


def import_batches(user: User) -> QuerySet[ImportBatch]:
    """Imports the user may follow: all of them for those who may import, none for anyone else."""
    if not policy.can(user, "ledger.import_ledger"):
        return ImportBatch.objects.none()
    return (
        ImportBatch.objects.select_related("uploaded_by")
        .defer("errors", "headers", "options")
        .order_by("-created_at", "-id")
    )


def import_batch_for_user(user: User, batch_id: int) -> ImportBatch:
    """The batch with its errors, or 404 (also for those who may not import)."""
    batch = ImportBatch.objects.select_related("uploaded_by").filter(pk=batch_id).first()
    if batch is None or not policy.can(user, "ledger.import_ledger"):
        raise Http404("No such import")
    return batch


def prospect_owners(user: User) -> QuerySet[User]:
    """KAMs the user may name as owner of clients an import creates."""
    return kams_visible_to(user).order_by("last_name", "first_name", "username")
