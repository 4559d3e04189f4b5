"""The sales ledger: invoice lines as imported, the batches they came in, and the monthly aggregate.

`LedgerMonthly` is the table the analysis engine reads (`ledger_monthly`: client_id, department_id,
manager_id, month, turnover, income in integer kopecks). It is derived data: every import
recomputes it for the (client, month) pairs it touched, in one set-based SQL statement
(see services.ledger_refresh_monthly), and ledger_rebuild_monthly() recomputes it whole.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    NEEDS_MAPPING = "needs_mapping", _("Columns to map")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    IMPORTED = "imported", _("Imported")
    PARTIAL = "partial", _("Imported good rows only")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


FINISHED_STATUSES = (ImportStatus.IMPORTED, ImportStatus.PARTIAL, ImportStatus.REJECTED, ImportStatus.FAILED)


PHASES = {
    "reading": _("reading and checking rows"),
    "checking": _("matching clients and managers"),
    "writing": _("writing lines and monthly totals"),
}


class ImportSource(models.TextChoices):
    PAGE = "page", _("Upload page")
    COMMAND = "command", _("Command line")
    DEMO = "demo", _("Demo data")


class ImportBatch(models.Model):
    """One file given to the importer, its options and what came of it."""

    file_name = models.CharField(_("file"), max_length=255)
    stored_file = models.CharField(max_length=500, blank=True)  # storage name while waiting to run
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.BigIntegerField(_("size, bytes"), default=0)
    source = models.CharField(max_length=10, choices=ImportSource.choices, default=ImportSource.PAGE)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ledger_imports",
    )
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED, db_index=True
    )
    # take_good_rows, unknown_clients, unknown_refs, owner_id, encoding, delimiter, mapping {field: column}
    options = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=list, blank=True)
    header_row = models.PositiveIntegerField(default=1)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_ok = models.PositiveIntegerField(_("imported"), default=0)
    rows_skipped = models.PositiveIntegerField(_("already imported"), default=0)
    rows_bad = models.PositiveIntegerField(_("bad rows"), default=0)
    clients_created = models.PositiveIntegerField(_("prospects created"), default=0)
    # [[row, column, reason], ...], capped at ERRORS_KEPT; errors_total counts all of them.
    errors = models.JSONField(default=list, blank=True)
    errors_total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    phase = models.CharField(max_length=40, blank=True)
    progress_rows = models.PositiveIntegerField(default=0)
    progress_pct = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)  # seconds per phase: read, check, insert, …

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})" if self.created_at else self.file_name

    @property
    def phase_label(self) -> str:
        return str(PHASES.get(self.phase, self.phase))

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)


class SalesLine(models.Model):
    """One invoice line. Money is Decimal here; the monthly aggregate holds integer kopecks.

    The ledger is a fact table loaded in bulk, so its references carry no database-level foreign-key
    triggers (`db_constraint=False`): PostgreSQL would run four lookups per inserted line, which made
    a million-line import several times slower. Integrity is kept by the writers instead — the
    importer resolves every client, manager and department id from the database inside its
    transaction, under the import lock — and deletions of referenced rows are refused by Django's
    PROTECT, which looks for lines through the indexes below.
    """

    external_id = models.CharField(_("line id"), max_length=128, unique=True)
    date = models.DateField(_("date"))
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="sales_lines",
        db_index=False,
        db_constraint=False,
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales_lines",
        db_index=False,
        db_constraint=False,
    )
    department = models.ForeignKey(
        "access.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales_lines",
        db_index=False,
        db_constraint=False,
    )
    product_code = models.CharField(_("product code"), max_length=64, blank=True)
    product_name = models.CharField(_("product"), max_length=300, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=3, null=True, blank=True)
    revenue = models.DecimalField(_("revenue"), max_digits=18, decimal_places=2)
    cost = models.DecimalField(_("cost"), max_digits=18, decimal_places=2)
    # Lines are never deleted by batch, so no index: it would only slow every import down.
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="lines", db_index=False, db_constraint=False
    )

    class Meta:
        verbose_name = _("sales line")
        verbose_name_plural = _("sales lines")
        # Each index costs every bulk import a sort of the whole ledger, so only those with readers:
        # (client, date) for a client's lines (account plans) and PROTECT on clients, (manager, date) for
        # a KAM's month (commission statements) and PROTECT on users. Totals by date or department read
        # `ledger_monthly`; PROTECT on a department scans the ledger (departments are seldom deleted).
        # On PostgreSQL the line id is in the "C" collation (migration 0005): bytewise, so its unique
        # index sorts several times faster than under the database's libc collation.
        indexes = [
            models.Index(fields=["client", "date"], name="ledger_line_client_date"),
            models.Index(fields=["manager", "date"], name="ledger_line_manager_date"),
        ]

    def __str__(self) -> str:
        return self.external_id


class LedgerMonthly(models.Model):
    """Σ of the ledger per client × manager × department × month, in integer kopecks.

    Manager and department may be empty; the unique key treats an empty one as a value of its own
    (COALESCE to 0 in an expression index, the same on SQLite and PostgreSQL).
    """

    # Derived from the lines (same ids, no foreign-key triggers, as there).
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        related_name="ledger_months",
        db_index=False,
        db_constraint=False,
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    month = models.DateField(_("month"))  # first day of the month
    turnover = models.BigIntegerField(_("turnover, kopecks"))  # Σ revenue
    income = models.BigIntegerField(_("income, kopecks"))  # Σ (revenue − cost)
    lines = models.PositiveIntegerField(_("lines"))

    class Meta:
        db_table = "ledger_monthly"
        verbose_name = _("monthly ledger total")
        verbose_name_plural = _("monthly ledger totals")
        constraints = [
            models.UniqueConstraint(
                F("client"),
                F("month"),
                Coalesce(F("manager"), Value(0)),
                Coalesce(F("department"), Value(0)),
                name="ledger_monthly_key",
            ),
        ]
        indexes = [
            # Covers the analysis (kam/analytics/engine.py): a period's rows are read from the index
            # alone, in month order, without visiting the table.
            models.Index(
                fields=["month", "client", "manager", "department", "turnover", "income"],
                name="ledger_monthly_month_cover",
            ),
            # A client's first month with sales ("new clients" of the plans): found in the index alone.
            models.Index(
                fields=["client", "month"],
                condition=Q(turnover__gt=0),
                name="ledger_monthly_first_buy",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.month:%Y-%m}"
