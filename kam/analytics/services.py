"""Running the key-account analysis on the system of record and keeping its snapshots."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from kam.access.models import User

from .engine import AnalysisResult, KeyAccountAnalysis, add_months, month_start
from .models import AnalysisConfig, Snapshot, SnapshotClient, SnapshotScopeRow, SnapshotStatus

# Key-client definitions 2–6 need client attributes; a temporary view keeps the engine's SQL unchanged
# (it looks for `client_attributes` and runs without it on files).
_ATTRIBUTES_VIEW = """
CREATE TEMP VIEW client_attributes AS
SELECT id AS client_id,
       CASE WHEN category_budget IS NULL THEN NULL
            ELSE CAST(ROUND(category_budget * 100) AS BIGINT) END AS category_budget_kop,
       is_reference, is_partner, is_competent, is_innovator
FROM clients_client
"""
_DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres"}
BATCH = 5000


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # first day of the last month, inclusive


def last_ledger_month() -> date | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(month) FROM ledger_monthly")
        (last,) = cursor.fetchone()
    if last is None:
        return None
    return month_start(last if isinstance(last, date) else date.fromisoformat(str(last)[:10]))


def resolve_period(config: AnalysisConfig, period_end: date | None = None) -> Period | None:
    end = month_start(period_end) if period_end else last_ledger_month()
    if end is None:
        return None
    return Period(add_months(end, -(config.period_months - 1)), end)


def calculate(config: AnalysisConfig, period: Period, *, scope_rows: str = "key") -> AnalysisResult:
    """Run the one SQL definition in the database that holds the ledger."""
    dialect = _DIALECTS[connection.vendor]
    analysis = KeyAccountAnalysis(config.to_settings(), period.start, period.end, scope_rows=scope_rows)  # type: ignore[arg-type]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("DROP VIEW IF EXISTS client_attributes")
        cursor.execute(_ATTRIBUTES_VIEW)
        try:
            return analysis.calculate(connection.connection, dialect)  # type: ignore[arg-type]
        finally:
            cursor.execute("DROP VIEW IF EXISTS client_attributes")


def _store(snapshot: Snapshot, result: AnalysisResult) -> None:
    rows = [
        SnapshotClient(
            snapshot=snapshot,
            client_id=c.client_id,
            rank=c.rank,
            turnover=c.turnover,
            income=c.income,
            basis=c.basis,
            share=c.share,
            cumulative_share=c.cumulative_share,
            abc=c.abc,
            xyz=c.xyz,
            cv=c.cv,
            months_with_sales=c.months_with_sales,
            is_key=c.is_key,
            is_critical=c.is_critical,
            is_mono=c.is_mono,
            is_key_absolute=c.is_key_absolute,
            is_key_potential=c.is_key_potential,
            is_key_any=c.is_key_any,
            wallet_left=c.wallet_left,
            npv=c.npv,
            reasons=[r.to_dict() for r in c.reasons],
            key_for_departments=c.key_for_departments,
            key_for_managers=c.key_for_managers,
        )
        for c in result.clients
    ]
    SnapshotClient.objects.bulk_create(rows, batch_size=BATCH)
    scopes = [
        SnapshotScopeRow(
            snapshot=snapshot,
            scope=s.scope,
            scope_id=s.scope_id,
            client_id=s.client_id,
            rank=s.rank,
            turnover=s.turnover,
            income=s.income,
            basis=s.basis,
            scope_total_basis=s.scope_total_basis,
            share=s.share,
            is_key=s.is_key,
            is_critical=s.is_critical,
            is_mono=s.is_mono,
        )
        for s in [*result.departments, *result.managers]
    ]
    SnapshotScopeRow.objects.bulk_create(scopes, batch_size=BATCH)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def snapshot_start(*, actor: User | None, period_end: date | None = None) -> Snapshot:
    """Record a new run before it starts, so a page can show it while it works."""
    config = AnalysisConfig.current()
    period = resolve_period(config, period_end)
    if period is None:
        raise ValidationError(_("The sales ledger is empty: import sales lines first."))
    return Snapshot.objects.create(
        created_by=actor,
        period_start=period.start,
        period_end=period.end,
        settings=_jsonable(config.to_settings().to_dict()),
    )


def snapshot_compute(snapshot_id: int, result: AnalysisResult | None = None) -> Snapshot:
    """Run the analysis for a started snapshot (or take `result`) and store its rows.

    A failure of the analysis itself is recorded on the snapshot, not raised."""
    snapshot = Snapshot.objects.get(pk=snapshot_id)
    config = AnalysisConfig.current()
    began = time.monotonic()
    try:
        if result is None:
            result = calculate(config, Period(snapshot.period_start, snapshot.period_end))  # type: ignore[arg-type]
        with transaction.atomic():
            _store(snapshot, result)
            snapshot.status = SnapshotStatus.DONE
            snapshot.total_basis = result.total_basis
            snapshot.total_turnover = result.total_turnover
            snapshot.total_income = result.total_income
            snapshot.clients_count = len(result.clients)
            snapshot.key_count = result.key_count
            snapshot.concentration = _jsonable(result.concentration.to_dict())
            snapshot.duration_ms = int((time.monotonic() - began) * 1000)
            snapshot.save()
    except Exception as error:
        Snapshot.objects.filter(pk=snapshot.pk).update(status=SnapshotStatus.FAILED, error=str(error)[:2000])
        snapshot.refresh_from_db()
        if not isinstance(error, ValueError | ValidationError):
            raise
    return snapshot


def analysis_run(
    *, actor: User | None, period_end: date | None = None, result: AnalysisResult | None = None
) -> Snapshot:
    """Start and compute a snapshot in one go (command line, tests)."""
    snapshot = snapshot_start(actor=actor, period_end=period_end)
    return snapshot_compute(snapshot.pk, result)


@transaction.atomic
def config_update(*, actor: User, **fields: Any) -> AnalysisConfig:
    config = AnalysisConfig.objects.select_for_update().get(pk=AnalysisConfig.current().pk)
    for name, value in fields.items():
        if not hasattr(config, name) or name in ("id", "updated_by", "updated_at"):
            raise ValidationError(_("Unknown setting: %(name)s") % {"name": name})
        setattr(config, name, value)
    config.updated_by = actor
    config.full_clean()
    config.save()
    return config
