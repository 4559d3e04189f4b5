"""Writes on the sales ledger: importing files and keeping the monthly aggregate.

An import goes: upload (file stored, header read) → [column mapping] → queued → running →
imported / partial / rejected / failed. Reading and checking every row happens first, with
progress written to the batch; then everything that changes data — new prospects, the lines,
the monthly aggregate and the batch's result — is written in one transaction, so a rejected or
failed import leaves the database as it was.

Permission is checked by the caller (page or command) through kam.access.policy.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import OperationalError, connection, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access.models import Department, Role, User
from kam.clients.models import Client, ClientStatus
from kam.clients.validators import normalise_tax_number
from kam.core.tasks import run_in_background

from . import fastpath, importing
from .importing import ErrorLog, FileProblem, ParsedLines, RowParser
from .models import ImportBatch, ImportSource, ImportStatus, LedgerMonthly, SalesLine

log = logging.getLogger(__name__)

ERRORS_KEPT = 1000
FAST_PATH = True  # try the columnar reader (fastpath.py) first; tests turn it off to test the row reader
PROGRESS_EVERY = 20_000
SQLITE_CHUNK = 5_000
UPLOAD_DIR = "ledger-imports"
# One import writes at a time (PostgreSQL: advisory lock; SQLite: its own single writer).
PG_LOCK_KEY = 7_216_401
_local_write_lock = threading.Lock()

UNKNOWN_CLIENTS = ("error", "create")
UNKNOWN_REFS = ("error", "fallback")


@dataclass
class ImportOptions:
    """What the user chose for one import."""

    take_good_rows: bool = False
    unknown_clients: str = "error"  # error | create (as prospects)
    unknown_refs: str = "error"  # unknown managers/departments: error | fallback (the client's)
    owner_id: int | None = None  # KAM who owns new prospects when the row's manager can't
    encoding: str | None = None  # None: detect
    delimiter: str | None = None  # None: sniff
    mapping: dict[str, str | int] = field(default_factory=dict)  # field → header text or column index

    def __post_init__(self) -> None:
        if self.unknown_clients not in UNKNOWN_CLIENTS:
            raise ValidationError(_("Choose what to do with unknown clients."))
        if self.unknown_refs not in UNKNOWN_REFS:
            raise ValidationError(_("Choose what to do with unknown managers and departments."))

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportOptions:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


# --------------------------------------------------------------------------- audit


def _audit(batch: ImportBatch, *, event: str, changes: dict[str, list[str]]) -> None:
    """Every import is in the audit log: who gave which file, and what came of it."""
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(ImportBatch),
        object_pk=str(batch.pk),
        object_id=batch.pk,
        object_repr=str(batch)[:200],
        action=LogEntry.Action.CREATE if event == "uploaded" else LogEntry.Action.UPDATE,
        actor=batch.uploaded_by,
        remote_addr=batch.remote_addr,
        changes=changes,
        additional_data={
            "kind": "import",
            "event": event,
            "file": batch.file_name,
            "sha256": batch.sha256,
            "source": batch.source,
        },
    )


# --------------------------------------------------------------------------- upload and mapping


def _sha256_of(fileobj: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    fileobj.seek(0)
    while chunk := fileobj.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), size


def _inspect(batch: ImportBatch, fileobj: IO[bytes], options: ImportOptions) -> list[str]:
    """Read the header; fill headers/encoding/delimiter; return the missing required fields."""
    table = importing.open_table(
        fileobj, name=batch.file_name, encoding=options.encoding, delimiter=options.delimiter
    )
    try:
        batch.headers = table.headers
        batch.header_row = table.header_row
        batch.encoding = table.encoding
        batch.delimiter = table.delimiter
        mapping, problems = importing.resolve_mapping(table.headers, options.mapping)
    finally:
        table.close()
    if problems:
        raise FileProblem(" ".join(problems))
    return importing.missing_fields(mapping)


def _reject(batch: ImportBatch, message: str) -> None:
    batch.status = ImportStatus.REJECTED
    batch.message = message
    batch.errors = [[None, "", message]]
    batch.errors_total = 1
    batch.finished_at = timezone.now()


@transaction.atomic
def import_batch_create(
    *,
    uploaded_by: User | None,
    file_name: str,
    fileobj: IO[bytes],
    options: ImportOptions,
    source: str = ImportSource.PAGE,
    remote_addr: str | None = None,
    keep_file: bool = True,
) -> ImportBatch:
    """Register an uploaded file: stored, its header read; queued, or waiting for a column mapping."""
    sha256, size = _sha256_of(fileobj)
    batch = ImportBatch(
        file_name=os.path.basename(file_name)[:255] or "ledger",
        sha256=sha256,
        size=size,
        source=source,
        uploaded_by=uploaded_by,
        remote_addr=remote_addr,
        options=options.as_json(),
        status=ImportStatus.QUEUED,
    )
    try:
        missing = _inspect(batch, fileobj, options)
    except FileProblem as problem:
        _reject(batch, str(problem))
        missing = []
    if batch.status != ImportStatus.REJECTED:
        if missing:
            batch.status = ImportStatus.NEEDS_MAPPING
            batch.message = _("Choose the columns for: %(fields)s") % {"fields": ", ".join(missing)}
        if keep_file:
            fileobj.seek(0)
            suffix = ".xlsx" if batch.file_name.lower().endswith((".xlsx", ".xlsm")) else ".csv"
            batch.stored_file = default_storage.save(f"{UPLOAD_DIR}/{uuid.uuid4().hex}{suffix}", fileobj)
    batch.save()
    _audit(
        batch, event="uploaded", changes={"file_name": ["", batch.file_name], "status": ["", batch.status]}
    )
    return batch


@transaction.atomic
def import_batch_map(*, batch: ImportBatch, mapping: dict[str, int]) -> ImportBatch:
    """The user's choice of columns for a file whose headers were not all recognised."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.NEEDS_MAPPING:
        raise ValidationError(_("This import is not waiting for a column mapping."))
    clean: dict[str, int] = {}
    used: dict[int, str] = {}
    for name, index in mapping.items():
        if name not in importing.SPECS:
            raise ValidationError(_("Unknown field %(name)s.") % {"name": name})
        if index is None or index < 0:
            continue
        if index >= len(batch.headers):
            raise ValidationError(_("The file has no column %(n)s.") % {"n": index + 1})
        if index in used:
            raise ValidationError(
                _("One column cannot be both %(a)s and %(b)s.")
                % {"a": importing.field_label(used[index]), "b": importing.field_label(name)}
            )
        used[index] = name
        clean[name] = index
    missing = importing.missing_fields(clean)
    if missing:
        raise ValidationError(_("Choose the columns for: %(fields)s") % {"fields": ", ".join(missing)})
    options = dict(batch.options)
    options["mapping"] = clean
    batch.options = options
    batch.status = ImportStatus.QUEUED
    batch.message = ""
    batch.save(update_fields=["options", "status", "message"])
    return batch


def import_enqueue(*, batch: ImportBatch) -> None:
    """Run the import in a background thread once the current transaction has committed."""
    run_in_background(_run_queued, batch.pk, threading.get_ident())


def _run_queued(batch_id: int, queued_in: int) -> None:
    try:
        import_run(batch_id=batch_id)
    finally:
        if threading.get_ident() != queued_in:
            # A thread of its own: give its database connections back rather than leave them open.
            connections.close_all()


# --------------------------------------------------------------------------- running an import


ProgressCallback = Callable[[ImportBatch], None]


class _Progress:
    """Writes progress to the batch row (outside any transaction) at most once a second."""

    def __init__(self, batch: ImportBatch, fraction: Callable[[], float], echo: ProgressCallback | None):
        self.batch = batch
        self.fraction = fraction
        self.echo = echo
        self.last = 0.0

    def phase(self, name: str, pct: int | None = None) -> None:
        self.batch.phase = name
        if pct is not None:
            self.batch.progress_pct = pct
        self._write()

    def rows(self, row_no: int) -> None:
        now = timezone.now().timestamp()
        if now - self.last < 1.0:
            return
        self.batch.progress_rows = row_no
        # Reading and checking is ~90 % of the work; writing the rest.
        self.batch.progress_pct = min(90, int(self.fraction() * 90))
        self._write()

    def _write(self) -> None:
        self.last = timezone.now().timestamp()
        self.batch.heartbeat_at = timezone.now()
        # Another import may hold SQLite's write lock: progress can wait.
        with contextlib.suppress(OperationalError):
            ImportBatch.objects.filter(pk=self.batch.pk).update(
                phase=self.batch.phase,
                progress_rows=self.batch.progress_rows,
                progress_pct=self.batch.progress_pct,
                heartbeat_at=self.batch.heartbeat_at,
            )
        if self.echo is not None:
            self.echo(self.batch)


def _open_source(batch: ImportBatch, path: str | None) -> IO[bytes]:
    if path is not None:
        return open(path, "rb")
    if not batch.stored_file or not default_storage.exists(batch.stored_file):
        raise FileProblem(_("The uploaded file is no longer available: upload it again."))
    return default_storage.open(batch.stored_file, "rb")


def _forget_file(batch: ImportBatch) -> None:
    if batch.stored_file:
        try:
            default_storage.delete(batch.stored_file)
        except OSError:  # pragma: no cover
            log.warning("could not delete %s", batch.stored_file)
        batch.stored_file = ""


def import_run(
    *, batch_id: int, path: str | None = None, echo: ProgressCallback | None = None
) -> ImportBatch:
    """Run a queued import to its end and return the batch with its result."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now(), phase="reading"
    )
    batch = ImportBatch.objects.select_related("uploaded_by").get(pk=batch_id)
    if not claimed:
        return batch
    status_before = ImportStatus.QUEUED
    try:
        options = ImportOptions.from_json(batch.options)
        with _open_source(batch, path) as raw:
            _execute(batch, raw, options, echo)
    except FileProblem as problem:
        _reject(batch, str(problem))
        batch.save()
    except Exception as error:
        log.exception("ledger import %s failed", batch_id)
        batch.refresh_from_db()
        batch.status = ImportStatus.FAILED
        batch.message = _("The import failed and nothing was changed: %(error)s") % {
            "error": f"{type(error).__name__}: {error}"[:500]
        }
        batch.finished_at = timezone.now()
        batch.save()
    if batch.source == ImportSource.PAGE:
        _forget_file(batch)
        ImportBatch.objects.filter(pk=batch.pk).update(stored_file="")
    _audit(
        batch,
        event="finished",
        changes={
            "status": [str(status_before), str(batch.status)],
            "rows_ok": ["0", str(batch.rows_ok)],
            "rows_bad": ["0", str(batch.rows_bad)],
            "rows_skipped": ["0", str(batch.rows_skipped)],
            "clients_created": ["0", str(batch.clients_created)],
        },
    )
    if echo is not None:
        echo(batch)
    return batch


def _execute(
    batch: ImportBatch, raw: IO[bytes], options: ImportOptions, echo: ProgressCallback | None
) -> None:
    table = importing.open_table(
        raw, name=batch.file_name, encoding=options.encoding, delimiter=options.delimiter
    )
    try:
        batch.headers, batch.header_row = table.headers, table.header_row
        batch.encoding, batch.delimiter = table.encoding, table.delimiter
        mapping, problems = importing.resolve_mapping(table.headers, options.mapping)
        if problems:
            raise FileProblem(" ".join(problems))
        missing = importing.missing_fields(mapping)
        if missing:
            raise FileProblem(
                _(
                    "These columns are missing: %(fields)s. The file's columns are: %(headers)s. "
                    "Map them to the fields (on the command line: --map field=Column)."
                )
                % {"fields": ", ".join(missing), "headers": ", ".join(h or "—" for h in table.headers)}
            )
        clock = _Clock()
        progress = _Progress(batch, table.fraction_read, echo)
        progress.phase("reading", 0)
        prepared = fastpath.prepare(raw, table, mapping) if FAST_PATH else None
        if prepared is not None:
            table.close()
            try:
                if _execute_fast(batch, prepared, options, progress, clock):
                    return
            finally:
                prepared.close()
        if table.kind == "csv" and FAST_PATH:
            # The fast path read the file (or gave up part way): start again from the top.
            table.close()
            table = importing.open_table(
                raw, name=batch.file_name, encoding=options.encoding, delimiter=options.delimiter
            )
            progress.fraction = table.fraction_read
        errors = ErrorLog(ERRORS_KEPT)
        parser = RowParser(table.headers, mapping, errors)
        total = importing.parse_rows(table.rows, parser, every=PROGRESS_EVERY // 4, progress=progress.rows)
    finally:
        table.close()
    clock.lap("read")
    batch.rows_total = total
    if total == 0 and not errors.total:
        raise FileProblem(_("The file has a header but no rows."))
    progress.phase("checking", 90)
    with _write_lock(), transaction.atomic():
        _claim_writer(batch)
        plan = _resolve(parser, options, errors)
        clock.lap("check")
        batch.rows_bad = len(errors.bad_rows)
        batch.errors = [item.as_list() for item in sorted(errors.items, key=lambda e: e.row or 0)]
        batch.errors_total = errors.total
        if errors.total and not options.take_good_rows:
            batch.status = ImportStatus.REJECTED
            batch.message = _(
                "The file was rejected and nothing was imported: %(bad)s of %(total)s rows have errors. "
                "Fix them, or import again choosing to take the good rows."
            ) % {"bad": batch.rows_bad, "total": total}
        else:
            progress.batch.phase = "writing"
            inserted = _write(batch, plan, clock)
            batch.rows_ok = inserted
            batch.rows_skipped = len(plan.rows) - inserted
            batch.clients_created = plan.created
            batch.status = ImportStatus.PARTIAL if errors.total else ImportStatus.IMPORTED
            batch.message = _summary(batch)
        batch.finished_at = timezone.now()
        batch.phase = ""
        batch.progress_pct = 100
        batch.progress_rows = total
        batch.timings = clock.as_json()
        batch.save()


def _execute_fast(
    batch: ImportBatch,
    prepared: fastpath.Prepared,
    options: ImportOptions,
    progress: _Progress,
    clock: _Clock,
) -> bool:
    """Import a file the fast path has read and checked; False (nothing written) when a client,
    manager or department does not match, so the row reader must import it and say which rows."""
    clock.lap("read")
    progress.batch.progress_rows = prepared.total
    progress.phase("checking", 90)
    with _write_lock(), transaction.atomic():
        _claim_writer(batch)
        if not _resolve_fast(prepared, options):
            return False
        clock.lap("check")
        progress.batch.phase = "writing"
        inserted = _write_fast(batch, prepared, clock)
        batch.rows_total = prepared.total
        batch.rows_ok = inserted
        batch.rows_skipped = prepared.total - inserted
        batch.rows_bad = 0
        batch.errors = []
        batch.errors_total = 0
        batch.clients_created = 0
        batch.status = ImportStatus.IMPORTED
        batch.message = _summary(batch)
        batch.finished_at = timezone.now()
        batch.phase = ""
        batch.progress_pct = 100
        batch.progress_rows = prepared.total
        batch.timings = {**clock.as_json(), "columnar": 1}
        batch.save()
    return True


def _resolve_fast(prepared: fastpath.Prepared, options: ImportOptions) -> bool:
    """Match INNs, managers and departments as _resolve does; False at the first one that doesn't."""
    by_inn, _by_name = _lookup_clients([("i", inn) for inn in prepared.inns])
    clients = []
    for inn in prepared.inns:
        matches = by_inn.get(inn, [])
        if len(matches) > 1:
            matches = [m for m in matches if m[3] == "RU"] or matches
        if len(matches) != 1:
            return False
        pk, owner, department, _country = matches[0]
        clients.append((inn, pk, owner, department))
    user_keys, user_departments, _users = _user_index()
    managers = []
    for raw, key in prepared.managers.items():
        if not key:
            continue
        matched = _match_user(key, user_keys)
        if len(matched) == 1:
            managers.append((raw, next(iter(matched))))
        elif matched or options.unknown_refs == "error":
            return False
    departments = []
    if prepared.departments:
        department_by_name = {importing.name_key(d.name): d.pk for d in Department.objects.all()}
        for raw, key in prepared.departments.items():
            found = department_by_name.get(key) if key else None
            if found is not None:
                departments.append((raw, found))
            elif key and options.unknown_refs == "error":
                return False
    add = fastpath.add_table
    add(
        prepared,
        "client_map",
        ("inn", "client_id", "owner", "dept"),
        ("VARCHAR", "BIGINT", "BIGINT", "BIGINT"),
        clients,
    )
    add(prepared, "mgr_map", ("raw", "user_id"), ("VARCHAR", "BIGINT"), managers)
    add(prepared, "dept_map", ("raw", "dept_id"), ("VARCHAR", "BIGINT"), departments)
    add(prepared, "user_dept", ("user_id", "dept"), ("BIGINT", "BIGINT"), list(user_departments.items()))
    return True


def _write_fast(batch: ImportBatch, prepared: fastpath.Prepared, clock: _Clock) -> int:
    """The prepared lines into the ledger and the monthly aggregate; returns lines added."""
    con = prepared.con
    with connection.cursor() as cursor:
        after_id = _last_line_id(cursor)
        if connection.vendor == "postgresql":
            fastpath.build_final(prepared, PG_LINE_ORDER)
            inserted = _write_fast_postgres(cursor, batch, prepared, clock, empty=after_id == 0)
            clock.lap("aggregate")
            return inserted
        fastpath.build_final(prepared)
        cursor.execute("PRAGMA cache_size = -262144")
        new = prepared.total
        if after_id and new >= BULK_LOAD_MIN:
            ids = [ext for (ext,) in con.execute("SELECT external_id FROM final").fetchall()]
            new -= _already_there(cursor, ids)
        result = con.execute(
            "SELECT external_id, strftime(date, '%Y-%m-%d'), client_id, manager_id, department_id, "
            "product_code, product_name, quantity, revenue_kop, cost_kop FROM final ORDER BY n"
        )

        def rows() -> Iterator[tuple[Any, ...]]:
            while chunk := result.fetchmany(SQLITE_CHUNK):
                yield from chunk

        with bulk_load(cursor, new, clock):
            inserted = _insert_sqlite(cursor, batch.pk, rows())
        clock.lap("insert")
        _update_monthly(cursor, after_id)
        clock.lap("aggregate")
    return inserted


def _write_fast_postgres(
    cursor: Any, batch: ImportBatch, prepared: fastpath.Prepared, clock: _Clock, *, empty: bool
) -> int:
    """COPY the new lines straight into the ledger (the known ids left out first), then add their
    sums, computed by DuckDB, to the monthly aggregate."""
    con, work = prepared.con, prepared.workdir
    if not empty:
        # Which of the file's line ids the ledger has: the ids go over by COPY, the known come back.
        ids = work / "ids.csv"
        con.execute(f"COPY (SELECT external_id FROM final) TO '{ids}' (FORMAT csv, HEADER false)")
        cursor.execute("DROP TABLE IF EXISTS pg_temp.ledger_ids")
        cursor.execute("CREATE TEMP TABLE ledger_ids (external_id varchar(128))")
        _copy_file(cursor, "COPY ledger_ids FROM STDIN (FORMAT csv)", ids)
        known = work / "known.csv"
        found = 0
        with (
            open(known, "wb") as out,
            cursor.cursor.copy(
                "COPY (SELECT i.external_id FROM ledger_ids i "
                "JOIN ledger_salesline l ON l.external_id = i.external_id) TO STDOUT (FORMAT csv)"
            ) as copy,
        ):
            for data in copy:
                out.write(data)
                found += len(data)
        cursor.execute("DROP TABLE pg_temp.ledger_ids")
        if found:
            con.execute(
                "DELETE FROM final WHERE external_id IN (SELECT external_id FROM read_csv("
                f"'{known}', columns={{'external_id': 'VARCHAR'}}, header=false, auto_detect=false, "
                "delim=',', quote='\"', escape='\"'))"
            )
    (new,) = con.execute("SELECT COUNT(*) FROM final").fetchone()
    clock.lap("check")
    if not new:
        return 0
    monthly = work / "monthly.csv"
    con.execute(
        "COPY (SELECT client_id, manager_id, department_id, CAST(date_trunc('month', date) AS DATE), "
        "SUM(revenue_kop), SUM(revenue_kop - cost_kop), COUNT(*) FROM final GROUP BY ALL) "
        f"TO '{monthly}' (FORMAT csv, HEADER false)"
    )
    lines = work / "new-lines.csv"
    columns, id_column = LINE_COLUMNS, ""
    if EXPLICIT_LINE_IDS:
        # The ids go in the file: no nextval() per line. A line's id is the range's first plus its
        # position in `final` (DuckDB's rowid: the order it was built in, see build_final; a line
        # left out above leaves a gap), so the ids grow in the order the lines are written.
        (span,) = con.execute("SELECT MAX(rowid) + 1 FROM final").fetchone()
        first = _reserve_line_ids(cursor, int(span))
        columns, id_column = f"id, {LINE_COLUMNS}", f"{first} + rowid AS id, "
    con.execute(
        f"COPY (SELECT {id_column}external_id, date, client_id, manager_id, department_id, product_code, "
        f"product_name, quantity, revenue, cost, {int(batch.pk)} FROM final) "  # in order: see build_final
        f"TO '{lines}' (FORMAT csv, HEADER false)"
    )
    clock.lap("copy")
    with bulk_load(cursor, int(new), clock, unique=True):
        _copy_file(cursor, f"COPY ledger_salesline ({columns}) FROM STDIN (FORMAT csv)", lines)
        inserted = int(new)
    clock.lap("insert")
    _add_csv_to_monthly(cursor, monthly, big=inserted >= BULK_LOAD_MIN)
    return inserted


RESERVE_GAP = 10_000  # ids left between other writers' nextval() and an import's range


def _reserve_line_ids(cursor: Any, count: int) -> int:
    """Take `count` consecutive ids from the ledger's id sequence at once; returns the first (PostgreSQL).

    One statement: nextval() takes a value no one else can have, and setval() moves the sequence
    past the range at once, so later nextval() calls (an order's lines, the demo) get ids above it.
    The range starts RESERVE_GAP ids above both that value and the largest id in the ledger: a writer
    outside the import lock calling nextval() in the instant between the two calls gets an id in the
    gap, not in the range. The sequence is not transactional: a rolled-back import leaves a gap in the
    ids, as nextval() does.
    """
    cursor.execute("SELECT pg_get_serial_sequence('ledger_salesline', 'id')")
    sequence = str(cursor.fetchone()[0])
    cursor.execute(
        "SELECT setval(%s::regclass, GREATEST(nextval(%s::regclass) - 1, "
        "(SELECT COALESCE(MAX(id), 0) FROM ledger_salesline)) + %s)",
        [sequence, sequence, RESERVE_GAP + count],
    )
    return int(cursor.fetchone()[0]) - count + 1


def _add_csv_to_monthly(cursor: Any, path: Any, *, big: bool) -> None:
    """ledger_monthly += the sums in a CSV file (one row per client × manager × department × month)."""
    cursor.execute("SELECT EXISTS (SELECT 1 FROM ledger_monthly)")
    if not cursor.fetchone()[0]:
        # A first load: the sums are the aggregate (a duplicate key would fail the unique index).
        with _monthly_indexes_after(cursor) if big else contextlib.nullcontext():
            _copy_file(cursor, f"COPY ledger_monthly ({_MONTHLY_COLUMNS}) FROM STDIN (FORMAT csv)", path)
        return
    cursor.execute("DROP TABLE IF EXISTS pg_temp.ledger_monthly_add")
    cursor.execute(
        "CREATE TEMP TABLE ledger_monthly_add (client_id bigint, manager_id bigint, department_id bigint, "
        "month date, turnover bigint, income bigint, lines integer)"
    )
    _copy_file(cursor, "COPY ledger_monthly_add FROM STDIN (FORMAT csv)", path)
    _add_to_monthly(cursor, "ledger_monthly_add")
    cursor.execute("DROP TABLE pg_temp.ledger_monthly_add")


def _copy_file(cursor: Any, sql: str, path: Any) -> None:
    with cursor.cursor.copy(sql) as copy, open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            copy.write(chunk)


def _summary(batch: ImportBatch) -> str:
    parts = [_("%(n)s lines imported.") % {"n": batch.rows_ok}]
    if batch.rows_skipped:
        parts.append(_("%(n)s lines were already imported and were skipped.") % {"n": batch.rows_skipped})
    if batch.clients_created:
        parts.append(_("%(n)s new clients were created as prospects.") % {"n": batch.clients_created})
    if batch.rows_bad:
        parts.append(_("%(n)s bad rows were left out (listed below).") % {"n": batch.rows_bad})
    return " ".join(parts)


class _write_lock:
    """Serialises imports within this process (SQLite allows one writer; PostgreSQL is locked too)."""

    def __enter__(self) -> None:
        _local_write_lock.acquire()

    def __exit__(self, *exc: object) -> None:
        _local_write_lock.release()


def _claim_writer(batch: ImportBatch) -> None:
    """Take the database-wide import lock first thing in the transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])
    # On SQLite this first write takes the write lock (waiting on the busy timeout if need be).
    ImportBatch.objects.filter(pk=batch.pk).update(phase="writing", heartbeat_at=timezone.now())


# --------------------------------------------------------------------------- resolving references


@dataclass
class _Plan:
    lines: ParsedLines
    rows: list[int]  # indices into lines that will be written
    client_id: list[int]  # per client code
    client_owner: list[int | None]
    client_department: list[int | None]
    manager_id: list[int | None]  # per manager code; None: unknown
    manager_department: dict[int, int | None]  # user id → department
    department_id: list[int | None]  # per department code
    to_create: dict[int, Client] = field(default_factory=dict)  # client code → unsaved prospect
    created: int = 0


def _user_index() -> tuple[dict[str, set[int]], dict[int, int | None], dict[int, User]]:
    keys: dict[str, set[int]] = {}
    departments: dict[int, int | None] = {}
    users: dict[int, User] = {}

    def add(key: str, pk: int) -> None:
        key = " ".join(key.lower().replace("ё", "е").split())
        if key:
            keys.setdefault(key, set()).add(pk)

    for user in User.objects.only(
        "id", "username", "first_name", "last_name", "department_id", "role", "is_active"
    ):
        users[user.pk] = user
        departments[user.pk] = user.department_id
        add(user.username, user.pk)
        first, last = user.first_name.strip(), user.last_name.strip()
        if first or last:
            add(f"{last} {first}", user.pk)
            add(f"{first} {last}", user.pk)
            if first:
                add(f"{last} {first[0]}", user.pk)
    return keys, departments, users


def _match_user(text: str, keys: dict[str, set[int]]) -> set[int]:
    found = keys.get(text)
    if found:
        return found
    words = text.replace(".", ". ").split()
    if len(words) >= 2:
        # "Иванов Иван Иванович" → "иванов иван"; "Иванов И.И." → "иванов и"
        for candidate in (f"{words[0]} {words[1]}", f"{words[0]} {words[1].rstrip('.')[:1]}"):
            found = keys.get(candidate)
            if found:
                return found
    return set()


def _chunks(items: list[Any], size: int = 900) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


ClientRef = tuple[int, int, int | None, str]  # id, owner, department, country


def _lookup_clients(
    codes: list[tuple[str, str]],
) -> tuple[dict[str, list[ClientRef]], dict[str, list[ClientRef]]]:
    """Clients matching the file's client keys, by INN and by name (names compared in Python:
    SQLite's UPPER() knows no Cyrillic)."""
    inns = sorted({key for kind, key in codes if kind == "i"})
    has_names = any(kind == "n" for kind, _key in codes)
    fields = ("id", "owner_id", "department_id", "country", "tax_number", "short_name", "legal_name")
    rows: Iterable[tuple[Any, ...]]
    if has_names or len(inns) > 5000:
        rows = Client.objects.values_list(*fields).iterator(chunk_size=10_000)
    else:
        found: list[tuple[Any, ...]] = []
        for chunk in _chunks(inns):
            found.extend(Client.objects.filter(tax_number__in=chunk).values_list(*fields))
        rows = found
    by_inn: dict[str, list[ClientRef]] = {}
    by_name: dict[str, list[ClientRef]] = {}
    for pk, owner, department, country, inn, short, legal in rows:
        ref = (pk, owner, department, country)
        if inn:
            by_inn.setdefault(inn, []).append(ref)
        if has_names:
            for key in {importing.name_key(short), importing.name_key(legal)}:
                if key:
                    by_name.setdefault(key, []).append(ref)
    return by_inn, by_name


def _resolve(parser: RowParser, options: ImportOptions, errors: ErrorLog) -> _Plan:
    lines = parser.out
    col = parser.column
    codes: list[tuple[str, str]] = lines.clients.values
    by_inn, by_name = _lookup_clients(codes)
    user_keys, user_departments, users = _user_index()
    fallback_owner = users.get(options.owner_id) if options.owner_id else None

    def can_own(user: User | None) -> bool:
        return user is not None and user.is_active and user.role in (Role.KAM, Role.HEAD)

    # Managers and departments, per distinct value.
    manager_id: list[int | None] = []
    manager_problem: dict[int, str] = {}
    for code, text in enumerate(lines.managers.values):
        matched = _match_user(text, user_keys)
        if len(matched) == 1:
            manager_id.append(next(iter(matched)))
            continue
        manager_id.append(None)
        if len(matched) > 1:
            manager_problem[code] = _("'%(name)s' matches several users: write the login") % {"name": text}
        elif options.unknown_refs == "error":
            manager_problem[code] = _("no user '%(name)s'") % {"name": text}
    department_by_name = {importing.name_key(d.name): d.pk for d in Department.objects.all()}
    department_id: list[int | None] = []
    department_problem: dict[int, str] = {}
    for code, key in enumerate(lines.departments.values):
        found = department_by_name.get(key)
        department_id.append(found)
        if found is None and options.unknown_refs == "error":
            department_problem[code] = _("no department '%(name)s'") % {"name": key}

    # Clients, per distinct key.
    client_id: list[int] = []
    client_owner: list[int | None] = []
    client_department: list[int | None] = []
    client_problem: dict[int, str] = {}
    to_create: dict[int, Client] = {}
    first_manager: dict[int, int] = {}
    for index in range(len(lines)):
        first_manager.setdefault(lines.client[index], lines.manager[index])
    for code, (kind, key) in enumerate(codes):
        matches = by_inn.get(key, []) if kind == "i" else by_name.get(key, [])
        if kind == "i" and len(matches) > 1:
            matches = [m for m in matches if m[3] == "RU"] or matches
        if len(matches) == 1:
            pk, owner, department, _country = matches[0]
            client_id.append(pk)
            client_owner.append(owner)
            client_department.append(department)
            continue
        client_id.append(0)
        client_owner.append(None)
        client_department.append(None)
        name_seen = lines.client_names.get(code, "")
        shown = (f"{name_seen} (INN {key})" if name_seen else key) if kind == "i" else name_seen or key
        if len(matches) > 1:
            client_problem[code] = _("several clients are called '%(name)s': add the INN column") % {
                "name": shown
            }
            continue
        if options.unknown_clients == "error":
            client_problem[code] = (
                _("unknown client: no client with INN %(inn)s") % {"inn": key}
                if kind == "i"
                else _("unknown client: no client called '%(name)s'") % {"name": shown}
            )
            continue
        # Create as a prospect: the INN must be valid, and someone must own it.
        inn = ""
        if kind == "i":
            try:
                inn = normalise_tax_number("RU", key)
            except ValidationError as error:
                client_problem[code] = _("INN %(inn)s: %(reason)s") % {
                    "inn": key,
                    "reason": error.messages[0],
                }
                continue
        row_manager = first_manager.get(code, -1)
        row_user = users.get(manager_id[row_manager] or 0) if row_manager >= 0 else None
        new_owner = row_user if can_own(row_user) else fallback_owner
        if new_owner is None or not can_own(new_owner):
            client_problem[code] = _(
                "no KAM to own the new client '%(name)s': choose an owner for new clients"
            ) % {"name": shown}
            continue
        name = (lines.client_names.get(code) or (f"INN {inn}" if inn else key))[:300]
        to_create[code] = Client(
            legal_name=name,
            short_name=name[:120],
            search_name=f"{name[:120]} {name}".upper(),
            country="RU",
            tax_number=inn,
            status=ClientStatus.PROSPECT,
            owner_id=new_owner.pk,
            department_id=new_owner.department_id,
        )
        client_owner[code] = new_owner.pk
        client_department[code] = new_owner.department_id

    # Rows: report problems row by row; the good ones go to the plan.
    rows: list[int] = []
    client_col = col["client_inn"] if "client_inn" in parser.mapping else col["client_name"]
    add = errors.add
    for index in range(len(lines)):
        row_no = lines.row_no[index]
        ok = True
        c = lines.client[index]
        if c in client_problem:
            add(row_no, client_col, client_problem[c])
            ok = False
        m = lines.manager[index]
        if m >= 0 and m in manager_problem:
            add(row_no, col["manager"], manager_problem[m])
            ok = False
        d = lines.department[index]
        if d >= 0 and d in department_problem:
            add(row_no, col["department"], department_problem[d])
            ok = False
        if ok:
            rows.append(index)
    return _Plan(
        lines=lines,
        rows=rows,
        client_id=client_id,
        client_owner=client_owner,
        client_department=client_department,
        manager_id=manager_id,
        manager_department=user_departments,
        department_id=department_id,
        to_create=to_create,
    )


# --------------------------------------------------------------------------- writing


def _create_prospects(plan: _Plan) -> None:
    """New clients in one statement; only those that good rows still need."""
    needed = {plan.lines.client[i] for i in plan.rows}
    pending = [(code, client) for code, client in plan.to_create.items() if code in needed]
    if not pending:
        return
    created = Client.objects.bulk_create([client for _code, client in pending], batch_size=1000)
    for (code, _client), saved in zip(pending, created, strict=True):
        if saved.pk is None:  # pragma: no cover - backends without RETURNING
            saved = Client.objects.get(country="RU", tax_number=saved.tax_number, legal_name=saved.legal_name)
        plan.client_id[code] = saved.pk
    plan.created = len(pending)


def _row_values(plan: _Plan, *, typed: bool) -> Iterator[tuple[Any, ...]]:
    """The good rows as (external_id, date, client, manager, department, code, name, qty, rev, cost).

    `typed`: dates and quantities as date and Decimal (binary COPY), else as text (SQLite).
    """
    lines = plan.lines
    days: list[Any] = list(lines.days.values) if typed else [d.isoformat() for d in lines.days.values]
    # Code -1 ("none") picks the last element: an empty product, no quantity.
    products = [*lines.products.values, ("", "")]
    quantities: list[Any] = [*(Decimal(q) if typed else q for q in lines.quantities.values), None]
    refs: dict[tuple[int, int, int], tuple[int, int | None, int | None]] = {}

    def resolve(c: int, m: int, d: int) -> tuple[int, int | None, int | None]:
        manager = plan.manager_id[m] if m >= 0 else None
        if manager is None:  # none given, or unknown and the user chose to fall back
            manager = plan.client_owner[c]
        department = plan.department_id[d] if d >= 0 else None
        if department is None:
            department = plan.manager_department.get(manager) if manager is not None else None
            if department is None:
                department = plan.client_department[c]
        return plan.client_id[c], manager, department

    ext, day, client, manager, department = (
        lines.external_id,
        lines.day,
        lines.client,
        lines.manager,
        lines.department,
    )
    product, quantity, revenue, cost = lines.product, lines.quantity, lines.revenue, lines.cost
    for i in plan.rows:
        key = (client[i], manager[i], department[i])
        ref = refs.get(key)
        if ref is None:
            ref = refs[key] = resolve(*key)
        yield (
            ext[i],
            days[day[i]],
            *ref,
            *products[product[i]],
            quantities[quantity[i]],
            revenue[i],
            cost[i],
        )


class _Clock:
    """Seconds spent per phase, kept on the batch (operators see where an import's time went)."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self.last, 3)
        self.last = now

    def as_json(self) -> dict[str, float]:
        return {**self.laps, "total": round(time.perf_counter() - self.start, 3)}


def _write(batch: ImportBatch, plan: _Plan, clock: _Clock) -> int:
    """Prospects, lines (skipping ids already in the ledger), the monthly aggregate; returns lines added."""
    _create_prospects(plan)
    values = _row_values(plan, typed=connection.vendor == "postgresql")
    with connection.cursor() as cursor:
        after_id = _last_line_id(cursor)
        if connection.vendor == "postgresql":
            inserted = _insert_postgres(cursor, batch.pk, values, len(plan.rows), clock, empty=after_id == 0)
        else:
            # 256 MB of page cache for this connection: the indexes stay in memory while loading.
            cursor.execute("PRAGMA cache_size = -262144")
            new = len(plan.rows)
            if after_id and new >= BULK_LOAD_MIN:
                new -= _already_there(cursor, [plan.lines.external_id[i] for i in plan.rows])
            with bulk_load(cursor, new, clock):
                inserted = _insert_sqlite(cursor, batch.pk, values)
        clock.lap("insert")
        _update_monthly(cursor, after_id)
        clock.lap("aggregate")
    return inserted


LINE_COLUMNS = (
    "external_id, date, client_id, manager_id, department_id, product_code, product_name, quantity, "
    "revenue, cost, batch_id"
)


_STAGE_COLUMNS = (
    "external_id, date, client_id, manager_id, department_id, product_code, product_name, quantity, "
    "revenue_kop, cost_kop"
)


def _create_stage(cursor: Any) -> None:
    cursor.execute("DROP TABLE IF EXISTS pg_temp.ledger_stage")
    cursor.execute(
        "CREATE TEMP TABLE ledger_stage (external_id varchar(128), date date, client_id bigint, "
        "manager_id bigint, department_id bigint, product_code varchar(64), product_name varchar(300), "
        "quantity numeric(18, 3), revenue_kop bigint, cost_kop bigint)"
    )


def _insert_postgres(
    cursor: Any, batch_id: int, values: Iterable[tuple[Any, ...]], count: int, clock: _Clock, *, empty: bool
) -> int:
    """COPY into a staging table, drop the lines already in the ledger from it, INSERT … SELECT the rest.

    Line ids are unique within the file and imports hold a lock, so once the known ids are gone from
    the stage nothing can clash and the insert needs no ON CONFLICT check (a third of its time).
    Knowing how many lines are really new also keeps a re-import from rebuilding the indexes.
    """
    _create_stage(cursor)
    with cursor.cursor.copy(f"COPY ledger_stage ({_STAGE_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(
            ["varchar", "date", "int8", "int8", "int8", "varchar", "varchar", "numeric", "int8", "int8"]
        )
        write = copy.write_row
        for row in values:
            write(row)
    return _stage_to_ledger(cursor, batch_id, count, clock, empty=empty)


def _stage_to_ledger(cursor: Any, batch_id: int, count: int, clock: _Clock, *, empty: bool) -> int:
    """From the filled temp table ledger_stage (kopecks) into the ledger, then the monthly aggregate.

    The lines already in the ledger are deleted from the stage first, so what is left is exactly
    what gets inserted; the aggregate is then brought up to date by adding the stage's sums to it
    (INSERT … ON CONFLICT DO UPDATE), instead of recomputing the touched months from the ledger.
    """
    if not empty:
        cursor.execute(
            "DELETE FROM ledger_stage s USING ledger_salesline l WHERE l.external_id = s.external_id"
        )
        count -= int(cursor.rowcount)
    clock.lap("copy")
    with bulk_load(cursor, count, clock, unique=True):
        cursor.execute(
            f"INSERT INTO ledger_salesline ({LINE_COLUMNS}) "
            "SELECT external_id, date, client_id, manager_id, department_id, COALESCE(product_code, ''), "
            "COALESCE(product_name, ''), quantity, revenue_kop::numeric / 100, cost_kop::numeric / 100, %s "
            "FROM ledger_stage",
            [batch_id],
        )
        inserted = int(cursor.rowcount)
    return inserted


def _update_monthly(cursor: Any, after_id: int) -> None:
    """Bring the monthly aggregate up to date with the lines just added (ids above `after_id`).

    PostgreSQL: the stage holds exactly those lines, in kopecks: their sums are added. SQLite: the
    (client, month) pairs they touch are recomputed from the ledger.
    """
    if connection.vendor == "postgresql":
        _add_stage_to_monthly(cursor)
        cursor.execute("DROP TABLE pg_temp.ledger_stage")
    else:
        _fill_affected_from_new_lines(cursor, after_id)
        _refresh_affected(cursor)


def _add_stage_to_monthly(cursor: Any) -> None:
    """ledger_monthly += the stage's sums per client × manager × department × month (PostgreSQL)."""
    cursor.execute("SET LOCAL work_mem = '256MB'")  # hash the groups in memory
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("DROP TABLE IF EXISTS pg_temp.ledger_monthly_add")
    cursor.execute(
        "CREATE TEMP TABLE ledger_monthly_add AS "
        "SELECT client_id, manager_id, department_id, CAST(date_trunc('month', date) AS date) AS month, "
        "CAST(SUM(revenue_kop) AS bigint) AS turnover, "
        "CAST(SUM(revenue_kop - cost_kop) AS bigint) AS income, COUNT(*) AS lines "
        "FROM ledger_stage GROUP BY 1, 2, 3, 4"
    )
    _add_to_monthly(cursor, "ledger_monthly_add")
    cursor.execute("DROP TABLE pg_temp.ledger_monthly_add")


def _add_to_monthly(cursor: Any, table: str) -> None:
    """ledger_monthly += the rows of `table` (client, manager, department, month, sums), PostgreSQL.

    Usually one upsert (INSERT … ON CONFLICT DO UPDATE). Adding at least BULK_LOAD_MIN rows and a
    quarter of the aggregate, the aggregate's indexes (but its primary key) are dropped, the rows
    whose key is already there are updated and the others inserted, each by one hash join, and the
    indexes are built again — as bulk_load does for the lines. A duplicate key would fail the
    unique index's rebuild and roll the import back.
    """
    cursor.execute(f"SELECT COUNT(*) FROM {table}")
    adding = int(cursor.fetchone()[0])
    cursor.execute("SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = 'ledger_monthly'::regclass")
    present = int(cursor.fetchone()[0])
    if adding < BULK_LOAD_MIN or adding * 4 < present:
        cursor.execute(
            f"INSERT INTO ledger_monthly ({_MONTHLY_COLUMNS}) "
            f"SELECT client_id, manager_id, department_id, month, turnover, income, lines FROM {table} "
            "ON CONFLICT (client_id, month, COALESCE(manager_id, 0), COALESCE(department_id, 0)) "
            "DO UPDATE SET turnover = ledger_monthly.turnover + EXCLUDED.turnover, "
            "income = ledger_monthly.income + EXCLUDED.income, lines = ledger_monthly.lines + EXCLUDED.lines"
        )
        return
    with _monthly_indexes_after(cursor):
        _merge_into_monthly(cursor, table)


@contextlib.contextmanager
def _monthly_indexes_after(cursor: Any) -> Iterator[None]:
    """ledger_monthly's indexes (but its primary key) dropped for a big load and built after it."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = 'ledger_monthly'::regclass "
        "AND NOT x.indisprimary"
    )
    rebuild = [(str(name), str(definition)) for name, definition in cursor.fetchall()]
    for name, _definition in rebuild:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
    for _name, definition in rebuild:
        cursor.execute(definition)
    cursor.execute("ANALYZE ledger_monthly")


def _merge_into_monthly(cursor: Any, table: str) -> None:
    """Existing keys updated, new ones inserted, each by one hash join (no indexes but the key's)."""
    cursor.execute("SET LOCAL work_mem = '256MB'")
    same = (
        "m.client_id = a.client_id AND m.month = a.month "
        "AND COALESCE(m.manager_id, 0) = COALESCE(a.manager_id, 0) "
        "AND COALESCE(m.department_id, 0) = COALESCE(a.department_id, 0)"
    )
    # `present` is an estimate: both statements run whatever it says.
    cursor.execute(
        f"UPDATE ledger_monthly m SET turnover = m.turnover + a.turnover, income = m.income + a.income, "
        f"lines = m.lines + a.lines FROM {table} a WHERE {same}"
    )
    cursor.execute(
        f"INSERT INTO ledger_monthly ({_MONTHLY_COLUMNS}) "
        f"SELECT a.client_id, a.manager_id, a.department_id, a.month, a.turnover, a.income, a.lines "
        f"FROM {table} a WHERE NOT EXISTS (SELECT 1 FROM ledger_monthly m WHERE {same})"
    )


def _already_there(cursor: Any, ids: list[str]) -> int:
    """How many of these line ids the ledger has (by the unique index, 900 at a time)."""
    found = 0
    for chunk in _chunks(ids):
        marks = ", ".join(["%s"] * len(chunk))
        cursor.execute(f"SELECT COUNT(*) FROM ledger_salesline WHERE external_id IN ({marks})", chunk)
        found += int(cursor.fetchone()[0])
    return found


def _insert_sqlite(cursor: Any, batch_id: int, values: Iterable[tuple[Any, ...]]) -> int:
    sql = (
        f"INSERT INTO ledger_salesline ({LINE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (external_id) DO NOTHING"
    )
    inserted = 0
    chunk: list[tuple[Any, ...]] = []
    for ext, day, client, manager, department, code, name, qty, rev, cost in values:
        # Kopecks / 100 is the double nearest the exact amount; ROUND(x * 100) gets the kopecks back.
        chunk.append(
            (ext, day, client, manager, department, code, name, qty, rev / 100, cost / 100, batch_id)
        )
        if len(chunk) >= SQLITE_CHUNK:
            cursor.executemany(sql, chunk)
            inserted += cursor.rowcount
            chunk = []
    if chunk:
        cursor.executemany(sql, chunk)
        inserted += cursor.rowcount
    return inserted


BULK_LOAD_MIN = 100_000
# PostgreSQL: the fast path writes its lines by client and date (fastpath.build_final), with ids
# taken from the sequence in one step (_reserve_line_ids) instead of nextval() per line.
PG_LINE_ORDER = fastpath.CLIENT_DATE_ORDER
EXPLICIT_LINE_IDS = True
# Index builds after a bulk load sort in memory with this much (SET LOCAL, this transaction only):
# 10 M line ids fit, where the 64 MB default would spill the sort to disk.
MAINTENANCE_WORK_MEM = "1GB"


@contextlib.contextmanager
def bulk_load(
    cursor: Any, adding: int, clock: _Clock | None = None, *, unique: bool = False
) -> Iterator[None]:
    """Around a load of at least a quarter of the ledger: drop the secondary indexes, build them after.

    Building an index once is several times faster than updating four of them line by line
    (measured on PostgreSQL: 500 000 lines into an empty table took 9.6 s with the indexes, 4.9 s
    with them built after). On PostgreSQL the table is locked for the load; on SQLite readers keep
    their snapshot. A failure rolls the drop back with the rest of the transaction.
    """
    if adding < BULK_LOAD_MIN or adding * 4 < _line_count_estimate(cursor):
        yield
        return
    for index in SalesLine._meta.indexes:
        cursor.execute(f'DROP INDEX IF EXISTS "{index.name}"')
    # `unique`: the caller guarantees new line ids (it removed the known ones under the import lock),
    # so the unique index on the line id can be built after the load too (PostgreSQL; a clash would
    # fail the rebuild and roll the whole import back).
    unique_names = _unique_constraints(cursor) if unique and connection.vendor == "postgresql" else []
    for name in unique_names:
        cursor.execute(f'ALTER TABLE ledger_salesline DROP CONSTRAINT "{name}"')
    # The primary key stays: the ids grow with the load, so each goes to the index's last page, and
    # adding the key again after a 10 M-line load cost ~12 s against ~0.5 s saved in the COPY.
    yield
    if clock is not None:
        clock.lap("insert")
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred foreign-key checks must run first
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")  # sort in memory
    table = SalesLine._meta.db_table
    for index in SalesLine._meta.indexes:
        columns = ", ".join(f'"{_column(name)}"' for name in index.fields)
        cursor.execute(f'CREATE INDEX "{index.name}" ON "{table}" ({columns})')
    for name in unique_names:
        cursor.execute(f'ALTER TABLE ledger_salesline ADD CONSTRAINT "{name}" UNIQUE (external_id)')
    if clock is not None:
        clock.lap("indexes")


def _unique_constraints(cursor: Any) -> list[str]:
    """The names of the unique constraints on ledger_salesline (the line id's), PostgreSQL."""
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'ledger_salesline'::regclass AND contype = 'u'"
    )
    return [str(name) for (name,) in cursor.fetchall()]


def _line_count_estimate(cursor: Any) -> int:
    """Lines in the ledger, roughly and cheaply (ids are dense: lines are never deleted one by one)."""
    cursor.execute("SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM ledger_salesline")
    return int(cursor.fetchone()[0])


def _column(field_name: str) -> str:
    field = SalesLine._meta.get_field(field_name)
    assert isinstance(field, models.Field)
    return str(field.column)


def _last_line_id(cursor: Any) -> int:
    """Lines are only added under the import lock, so the new ones are those above this id."""
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_salesline")
    return int(cursor.fetchone()[0])


def _fill_affected_from_new_lines(cursor: Any, after_id: int) -> None:
    """The (client, month) pairs of the lines this import added: only those months are recomputed."""
    if connection.vendor == "postgresql":
        cursor.execute("DROP TABLE IF EXISTS pg_temp.ledger_affected")
        cursor.execute(
            "CREATE TEMP TABLE ledger_affected AS SELECT DISTINCT client_id, "
            "CAST(date_trunc('month', date) AS date) AS month FROM ledger_salesline WHERE id > %s",
            [after_id],
        )
    else:
        _create_affected_sqlite(cursor)
        cursor.execute(
            "INSERT INTO temp.ledger_affected SELECT DISTINCT client_id, substr(date, 1, 8) || '01', "
            "date(substr(date, 1, 8) || '01', '+1 month') FROM ledger_salesline WHERE id > %s",
            [after_id],
        )


def _create_affected_sqlite(cursor: Any) -> None:
    cursor.execute("DROP TABLE IF EXISTS temp.ledger_affected")
    cursor.execute(
        "CREATE TEMP TABLE ledger_affected (client_id integer NOT NULL, month text NOT NULL, "
        "next_month text NOT NULL, PRIMARY KEY (client_id, month))"
    )


def _next_month(first: str) -> str:
    year, month = int(first[:4]), int(first[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}-01"


# The aggregate, written once per engine. Money is rounded to kopecks line by line (exact: numeric on
# PostgreSQL; on SQLite a double within half a kopeck), then summed as integers.
_MONTHLY_COLUMNS = "client_id, manager_id, department_id, month, turnover, income, lines"
_PG_SUMS = (
    "CAST(SUM(ROUND(l.revenue * 100)) AS bigint), "
    "CAST(SUM(ROUND(l.revenue * 100) - ROUND(l.cost * 100)) AS bigint), COUNT(*)"
)
_SQLITE_SUMS = (
    "SUM(CAST(ROUND(l.revenue * 100) AS INTEGER)), "
    "SUM(CAST(ROUND(l.revenue * 100) AS INTEGER) - CAST(ROUND(l.cost * 100) AS INTEGER)), COUNT(*)"
)


# Past this many (client, month) pairs the ledger is scanned once and matched by hash on the pair;
# below it each pair reads its own lines through the (client, date) index.
SCAN_PAIRS = 2000


def _refresh_affected(cursor: Any) -> None:
    """Recompute the monthly aggregate for the (client, month) pairs in the temp table ledger_affected.

    Two statements: DELETE the pairs' rows, INSERT … SELECT … GROUP BY over their lines.
    """
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE ledger_affected")
        cursor.execute("SELECT COUNT(*) FROM ledger_affected")
        scan = int(cursor.fetchone()[0]) > SCAN_PAIRS
        cursor.execute("SET LOCAL work_mem = '64MB'")  # hash the groups in memory
        cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves here
        cursor.execute(
            "DELETE FROM ledger_monthly m USING ledger_affected a "
            "WHERE m.client_id = a.client_id AND m.month = a.month"
        )
        join = (
            "a.month = CAST(date_trunc('month', l.date) AS date)"
            if scan
            else "l.date >= a.month AND l.date < CAST(a.month + interval '1 month' AS date)"
        )
        cursor.execute(
            f"INSERT INTO ledger_monthly ({_MONTHLY_COLUMNS}) "
            f"SELECT l.client_id, l.manager_id, l.department_id, a.month, {_PG_SUMS} "
            f"FROM ledger_salesline l JOIN ledger_affected a ON a.client_id = l.client_id AND {join} "
            "GROUP BY l.client_id, l.manager_id, l.department_id, a.month"
        )
        cursor.execute("DROP TABLE pg_temp.ledger_affected")
    else:
        cursor.execute("SELECT COUNT(*) FROM temp.ledger_affected")
        scan = int(cursor.fetchone()[0]) > SCAN_PAIRS
        cursor.execute(
            "DELETE FROM ledger_monthly WHERE EXISTS (SELECT 1 FROM temp.ledger_affected a "
            "WHERE a.client_id = ledger_monthly.client_id AND a.month = ledger_monthly.month)"
        )
        source = (
            "ledger_salesline l NOT INDEXED JOIN temp.ledger_affected a ON a.client_id = l.client_id "
            "AND a.month = substr(l.date, 1, 8) || '01'"
            if scan
            else "temp.ledger_affected a JOIN ledger_salesline l ON l.client_id = a.client_id "
            "AND l.date >= a.month AND l.date < a.next_month"
        )
        cursor.execute(
            f"INSERT INTO ledger_monthly ({_MONTHLY_COLUMNS}) "
            f"SELECT l.client_id, l.manager_id, l.department_id, a.month, {_SQLITE_SUMS} FROM {source} "
            "GROUP BY l.client_id, l.manager_id, l.department_id, a.month"
        )
        cursor.execute("DROP TABLE temp.ledger_affected")


@transaction.atomic
def ledger_refresh_monthly(*, pairs: Iterable[tuple[int, date]]) -> None:
    """Recompute the aggregate for some (client id, any day of the month) pairs."""
    months = {(client, day.replace(day=1).isoformat()) for client, day in pairs}
    if not months:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _claim_pg_lock(cursor)
            cursor.execute("DROP TABLE IF EXISTS pg_temp.ledger_affected")
            cursor.execute("CREATE TEMP TABLE ledger_affected (client_id bigint, month date)")
            with cursor.cursor.copy("COPY ledger_affected FROM STDIN") as copy:
                for row in months:
                    copy.write_row(row)
        else:
            _create_affected_sqlite(cursor)
            cursor.executemany(
                "INSERT INTO temp.ledger_affected VALUES (%s, %s, %s)",
                [(client, month, _next_month(month)) for client, month in months],
            )
        _refresh_affected(cursor)


def _claim_pg_lock(cursor: Any) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])


@transaction.atomic
def ledger_rebuild_monthly() -> int:
    """Recompute the whole monthly aggregate from the ledger; returns its number of rows."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _claim_pg_lock(cursor)
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("DELETE FROM ledger_monthly")
            cursor.execute(
                f"INSERT INTO ledger_monthly ({_MONTHLY_COLUMNS}) "
                f"SELECT l.client_id, l.manager_id, l.department_id, "
                f"CAST(date_trunc('month', l.date) AS date), {_PG_SUMS} "
                "FROM ledger_salesline l GROUP BY 1, 2, 3, 4"
            )
        else:
            cursor.execute("PRAGMA cache_size = -262144")
            cursor.execute("DELETE FROM ledger_monthly")
            cursor.execute(
                f"INSERT INTO ledger_monthly ({_MONTHLY_COLUMNS}) "
                f"SELECT l.client_id, l.manager_id, l.department_id, substr(l.date, 1, 8) || '01', "
                f"{_SQLITE_SUMS} FROM ledger_salesline l GROUP BY 1, 2, 3, 4"
            )
            cursor.execute("ANALYZE ledger_monthly")
    return LedgerMonthly.objects.count()


# --------------------------------------------------------------------------- command line


def import_ledger_file(
    *,
    path: str,
    options: ImportOptions,
    user: User | None = None,
    echo: ProgressCallback | None = None,
) -> ImportBatch:
    """Import a file from disk now (the command line); the batch tells what happened."""
    with open(path, "rb") as fileobj:
        batch = import_batch_create(
            uploaded_by=user,
            file_name=path,
            fileobj=fileobj,
            options=options,
            source=ImportSource.COMMAND,
            keep_file=False,
        )
    if batch.status == ImportStatus.NEEDS_MAPPING:
        # The command has no mapping page: run anyway, the run explains what is missing.
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.QUEUED)
    if batch.status == ImportStatus.REJECTED:
        return batch
    return import_run(batch_id=batch.pk, path=path, echo=echo)


def sales_line_count() -> int:
    return SalesLine.objects.count()
