"""Import of invoices and payments from CSV or Excel (1C style: Russian headers, `;`, comma decimals,
dd.mm.yyyy, Windows-1251 or UTF-8). Reading files and cells reuses kam.ledger.importing.

* Every row is checked; each problem is reported with row, column and reason.
* All or nothing: a file with any bad row writes nothing — unless `take_good_rows`, when the good rows
  are written and the bad ones reported.
* Idempotent: a row whose external id is already in the database is skipped, so importing the same file
  again changes nothing. The external id is the id column when the file has one; otherwise the invoice
  number (invoices) or INN/date/reference/amount (payments).
* Clients are found by INN, or by exact short or legal name when the file has no INN.
* A payment row that names an invoice is allocated to it (up to its open amount); otherwise oldest due
  first; the rest stays an advance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.clients.models import Client
from kam.ledger.importing import (
    BadValue,
    FileProblem,
    RowError,
    cell_text,
    name_key,
    normalise_header,
    open_table,
    parse_date,
    parse_inn,
    parse_kopecks,
)

from . import services
from .models import Invoice, Payment
from .selectors import with_open_amount

MAX_ROWS = 50_000
KEEP_ERRORS = 500

COLUMNS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "external_id": (
        gettext_lazy("External id"),
        ("код", "id", "идентификатор", "уникальный идентификатор", "guid", "uid", "external id"),
    ),
    "number": (
        gettext_lazy("Invoice number"),
        ("номер счета", "номер", "номер документа", "счет номер", "invoice number", "invoice", "number"),
    ),
    "issued_on": (
        gettext_lazy("Invoice date"),
        ("дата счета", "дата", "дата документа", "issued on", "invoice date", "date"),
    ),
    "due_on": (
        gettext_lazy("Due date"),
        ("срок оплаты", "оплатить до", "дата оплаты по договору", "due on", "due date", "due"),
    ),
    "received_on": (
        gettext_lazy("Payment date"),
        ("дата поступления", "дата платежа", "дата оплаты", "дата", "received on", "payment date", "date"),
    ),
    "reference": (
        gettext_lazy("Payment reference"),
        (
            "номер платежного поручения",
            "платежное поручение",
            "номер п п",
            "номер платежа",
            "номер документа",
            "номер",
            "reference",
        ),
    ),
    "invoice_number": (
        gettext_lazy("Invoice paid"),
        ("счет", "номер счета", "оплачиваемый счет", "счет на оплату", "invoice", "invoice number"),
    ),
    "amount": (
        gettext_lazy("Amount"),
        ("сумма", "сумма документа", "сумма с ндс", "сумма платежа", "amount", "sum", "total"),
    ),
    "client_inn": (
        gettext_lazy("Client INN"),
        ("инн", "инн контрагента", "инн покупателя", "inn", "tax number"),
    ),
    "client_name": (
        gettext_lazy("Client"),
        ("контрагент", "покупатель", "клиент", "плательщик", "client", "customer", "payer"),
    ),
    "order_id": (gettext_lazy("Order"), ("номер заказа", "заказ", "order", "order id")),
}

FIELDS = {
    "invoices": (
        "external_id",
        "number",
        "issued_on",
        "due_on",
        "amount",
        "client_inn",
        "client_name",
        "order_id",
    ),
    "payments": (
        "external_id",
        "received_on",
        "reference",
        "invoice_number",
        "amount",
        "client_inn",
        "client_name",
    ),
}
REQUIRED = {"invoices": ("number", "issued_on", "amount"), "payments": ("received_on", "amount")}


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    skipped: int = 0  # already imported (same external id)
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def _label(name: str) -> str:
    return str(COLUMNS[name][0])


def map_columns(kind: str, headers: list[str]) -> dict[str, int]:
    """Field → column index; per field the earliest synonym wins; a column serves one field."""
    normal = [normalise_header(h) for h in headers]
    chosen: dict[str, int] = {}
    taken: set[int] = set()
    # Fields with more specific synonyms first, so "номер счета" is not eaten by a generic "номер".
    order = sorted(FIELDS[kind], key=lambda f: -max(len(s) for s in COLUMNS[f][1]))
    for rank in range(max(len(COLUMNS[f][1]) for f in FIELDS[kind])):
        for name in order:
            if name in chosen:
                continue
            synonyms = COLUMNS[name][1]
            if rank >= len(synonyms):
                continue
            for index, header in enumerate(normal):
                if index not in taken and header == synonyms[rank]:
                    chosen[name] = index
                    taken.add(index)
                    break
    return chosen


class _Errors:
    def __init__(self) -> None:
        self.items: list[RowError] = []
        self.total = 0

    def add(self, row: int | None, column: str, message: str) -> None:
        self.total += 1
        if len(self.items) < KEEP_ERRORS:
            self.items.append(RowError(row, column, message))


def _clients(inns: set[str], names: set[str]) -> tuple[dict[str, Client], dict[str, list[Client]]]:
    """Clients by INN, and by name (exact short or legal name as written, compared ё/case/space-blind)."""
    by_inn = {c.tax_number: c for c in Client.objects.filter(tax_number__in=inns)} if inns else {}
    by_name: dict[str, list[Client]] = {}
    if names:
        keys = {name_key(n) for n in names}
        for c in Client.objects.filter(Q(short_name__in=names) | Q(legal_name__in=names)):
            for key in {name_key(c.short_name), name_key(c.legal_name)} & keys:
                by_name.setdefault(key, []).append(c)
    return by_inn, by_name


def import_file(
    raw: IO[bytes], *, kind: str, actor: Any, take_good_rows: bool = False, name: str = ""
) -> ImportResult:
    if kind not in FIELDS:
        raise ValueError(kind)
    result = ImportResult(kind=kind)
    errors = _Errors()
    try:
        table = open_table(raw, name=name)
    except FileProblem as problem:
        result.errors = [RowError(None, "", str(problem))]
        return result
    try:
        mapping = map_columns(kind, table.headers)
        missing = [_label(f) for f in REQUIRED[kind] if f not in mapping]
        if "client_inn" not in mapping and "client_name" not in mapping:
            missing.append(_("Client INN or client name"))
        if missing:
            result.errors = [
                RowError(
                    None,
                    "",
                    _("Columns not found: %(missing)s. The file's columns are: %(headers)s")
                    % {"missing": ", ".join(missing), "headers": ", ".join(h for h in table.headers if h)},
                )
            ]
            return result
        parsed = _parse_rows(kind, table, mapping, errors)
        columns = {name: table.headers[index] or _label(name) for name, index in mapping.items()}
    except FileProblem as problem:
        result.errors = [RowError(None, "", str(problem))]
        return result
    finally:
        table.close()
    if parsed is None:
        result.errors = errors.items
        return result
    result.rows = len(parsed)
    records = _resolve(kind, parsed, errors, result, columns)
    if errors.total and not take_good_rows:
        result.errors = errors.items
        return result
    _write(kind, records, errors, result, actor, take_good_rows)
    result.errors = errors.items
    return result


def _parse_rows(
    kind: str, table: Any, mapping: dict[str, int], errors: _Errors
) -> list[dict[str, Any]] | None:
    rows: list[dict[str, Any]] = []
    for row_no, cells in table.rows:
        if not any(cell_text(c) for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            errors.add(None, "", _("The file has more than %(n)s rows; split it.") % {"n": MAX_ROWS})
            return None
        values: dict[str, Any] = {"row": row_no}

        bad = False
        for name in mapping:
            index = mapping[name]
            raw = cells[index] if index < len(cells) else None
            try:
                if name in ("issued_on", "due_on", "received_on"):
                    if name == "due_on" and not cell_text(raw):
                        values[name] = None
                        continue
                    values[name] = parse_date(raw)
                elif name == "amount":
                    kop = parse_kopecks(raw)
                    if kop <= 0:
                        raise BadValue(_("must be more than zero"))
                    values[name] = Decimal(kop) / 100
                elif name == "client_inn":
                    values[name] = parse_inn(raw)
                elif name == "order_id":
                    text = cell_text(raw)
                    if text and not text.isdigit():
                        raise BadValue(_("'%(value)s' is not an order number") % {"value": text[:40]})
                    values[name] = int(text) if text else None
                else:
                    text = cell_text(raw)
                    if len(text) > 120:
                        raise BadValue(_("is longer than 120 characters"))
                    values[name] = text
            except BadValue as error:
                errors.add(row_no, table.headers[mapping[name]] or _label(name), str(error))
                bad = True
        if kind == "invoices" and not bad and not values.get("number"):
            errors.add(row_no, table.headers[mapping["number"]], _("is empty"))
            bad = True
        if not bad and values.get("due_on") and values["due_on"] < values["issued_on"]:
            errors.add(row_no, table.headers[mapping["due_on"]], _("is before the invoice date"))
            bad = True
        if not values.get("client_inn") and not values.get("client_name") and not bad:
            errors.add(row_no, _("Client"), _("neither INN nor client name is given"))
            bad = True
        values["bad"] = bad
        rows.append(values)
    if not rows and not errors.total:
        errors.add(None, "", _("The file has a header but no rows."))
        return None
    return rows


def _key(kind: str, r: dict[str, Any]) -> str:
    if r.get("external_id"):
        return str(r["external_id"])
    if kind == "invoices":
        return str(r["number"])
    who = r.get("client_inn") or name_key(r.get("client_name") or "")
    return f"{who}/{r['received_on']}/{r.get('reference', '')}/{r['amount']}"


def _resolve(
    kind: str, parsed: list[dict[str, Any]], errors: _Errors, result: ImportResult, columns: dict[str, str]
) -> list[dict[str, Any]]:
    """Find clients and invoices, drop already-imported rows, catch duplicates inside the file."""
    good = [r for r in parsed if not r["bad"]]
    by_inn, by_name = _clients(
        {r["client_inn"] for r in good if r.get("client_inn")},
        {r["client_name"] for r in good if not r.get("client_inn") and r.get("client_name")},
    )
    model = Invoice if kind == "invoices" else Payment
    keys = {_key(kind, r) for r in good}
    existing = set(model.objects.filter(external_id__in=keys).values_list("external_id", flat=True))
    if kind == "invoices":
        numbers = dict(
            Invoice.objects.filter(number__in={r["number"] for r in good}).values_list(
                "number", "external_id"
            )
        )
    else:
        wanted = {r["invoice_number"] for r in good if r.get("invoice_number")}
        invoices = {i.number: i for i in Invoice.objects.filter(number__in=wanted)}
    seen: dict[str, int] = {}

    def col(name: str) -> str:
        return columns.get(name) or _label(name)

    records = []
    for r in good:
        row = r["row"]
        if r.get("client_inn"):
            client = by_inn.get(r["client_inn"])
            if client is None:
                errors.add(row, col("client_inn"), _("no client with INN %(inn)s") % {"inn": r["client_inn"]})
                continue
        else:
            found = by_name.get(name_key(r["client_name"]), [])
            if len(found) != 1:
                message = (
                    _("no client named %(name)s") if not found else _("several clients are named %(name)s")
                )
                errors.add(row, col("client_name"), message % {"name": r["client_name"]})
                continue
            client = found[0]
        key = _key(kind, r)
        if key in seen:
            errors.add(row, col("external_id"), _("the same record as row %(row)s") % {"row": seen[key]})
            continue
        seen[key] = row
        if key in existing:
            result.skipped += 1
            continue
        r["client"], r["key"] = client, key
        if kind == "invoices":
            if r["number"] in numbers:
                errors.add(
                    row,
                    col("number"),
                    _("invoice %(n)s already exists under another id") % {"n": r["number"]},
                )
                continue
        elif r.get("invoice_number"):
            invoice = invoices.get(r["invoice_number"])
            if invoice is None or invoice.client_id != client.pk:
                errors.add(
                    row,
                    col("invoice_number"),
                    _("no invoice %(n)s of this client") % {"n": r["invoice_number"]},
                )
                continue
            r["invoice"] = invoice
        records.append(r)
    return records


def _write_one(kind: str, r: dict[str, Any], actor: Any) -> None:
    client = r["client"]
    if kind == "invoices":
        services.invoice_create(
            client=client,
            number=r["number"],
            issued_on=r["issued_on"],
            due_on=r.get("due_on") or r["issued_on"] + timedelta(days=client.payment_terms_days),
            amount=r["amount"],
            order_id=r.get("order_id"),
            external_id=r["key"],
            actor=actor,
        )
        return
    allocate = None
    if r.get("invoice") is not None:
        open_amount = (
            with_open_amount(Invoice.objects.filter(pk=r["invoice"].pk))
            .values_list("open_amount", flat=True)
            .get()
        )
        part = min(open_amount, r["amount"])
        allocate = [(r["invoice"], part)] if part > 0 else []
    services.payment_record(
        client=client,
        received_on=r["received_on"],
        amount=r["amount"],
        reference=r.get("reference", ""),
        allocate=allocate,
        external_id=r["key"],
        actor=actor,
    )


def _write(
    kind: str,
    records: list[dict[str, Any]],
    errors: _Errors,
    result: ImportResult,
    actor: Any,
    take_good: bool,
) -> None:
    class _Abort(Exception):
        pass

    # Payments go in date order so that "oldest due first" sees earlier payments' allocations.
    if kind == "payments":
        records = sorted(records, key=lambda r: (r["received_on"], r["row"]))
    try:
        with transaction.atomic():
            created = 0
            for r in records:
                try:
                    with transaction.atomic():
                        _write_one(kind, r, actor)
                    created += 1
                except ValidationError as error:
                    errors.add(r["row"], "", "; ".join(error.messages))
                    if not take_good:
                        raise _Abort from None
            result.created = created
    except _Abort:
        result.created = 0
        return
    result.written = result.created > 0
