"""Reading ledger files: CSV (any 1C export) and Excel, row by row, into typed values. No database here.

What a 1C export looks like and what is accepted:

* encoding UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1251 — tried in that order;
* separator `;`, `,`, tab or `|`, chosen by which one splits the first lines consistently;
* a title block above the header row is skipped: the header is the row among the first
  30 that names the most known columns;
* numbers `1 234 567,89`, `1234567.89`, `1,234,567.89`, `-12,5`, `(12,50)`, with spaces, no-break
  spaces or apostrophes between thousands; money has at most 2 decimals, quantity at most 3;
* dates `31.01.2024`, `31.01.2024 0:00:00`, `31/01/2024`, `31.01.24`, `2024-01-31`, Excel dates.

Parsing is a hot loop (a million lines take a few seconds): values that repeat (dates,
client keys, managers, products) are decoded once and cached.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Lines over this amount are refused: kopecks stay exact in a double (SQLite) below 2**53.
MAX_AMOUNT_KOP = 100_000_000_000_000  # 1 000 000 000 000 RUB
MAX_QUANTITY = Decimal("999999999999999")
HEADER_SCAN_ROWS = 30
MIN_YEAR, MAX_YEAR = 1990, 2099
MAX_CELL_CHARS = {"external_id": 128, "document": 90, "line_no": 20, "product_code": 64, "product_name": 300}


class FileProblem(Exception):
    """The file as a whole cannot be read; the message is meant for the user."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Any
    synonyms: tuple[str, ...]


# Synonyms are compared after normalise_header(); the earlier synonym wins when two columns match.
FIELD_SPECS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "external_id",
        gettext_lazy("Line id"),
        (
            "код строки",
            "id строки",
            "ид строки",
            "идентификатор строки",
            "уникальный идентификатор",
            "идентификатор",
            "external id",
            "line id",
            "row id",
            "invoice line id",
            "guid",
            "uid",
            "id",
        ),
    ),
    FieldSpec(
        "document",
        gettext_lazy("Document number"),
        (
            "номер документа",
            "документ номер",
            "номер накладной",
            "номер реализации",
            "документ",
            "регистратор",
            "накладная",
            "номер",
            "document number",
            "document no",
            "document",
            "doc no",
            "doc",
            "invoice number",
            "invoice no",
            "invoice",
        ),
    ),
    FieldSpec(
        "line_no",
        gettext_lazy("Line number"),
        ("номер строки", "номер строки документа", "n строки", "строка", "line number", "line no", "line"),
    ),
    FieldSpec(
        "date",
        gettext_lazy("Date"),
        (
            "дата",
            "дата документа",
            "дата отгрузки",
            "дата реализации",
            "дата продажи",
            "период",
            "date",
            "invoice date",
            "document date",
            "posting date",
            "sale date",
        ),
    ),
    FieldSpec(
        "client_inn",
        gettext_lazy("Client INN"),
        (
            "инн",
            "инн контрагента",
            "инн покупателя",
            "инн клиента",
            "контрагент инн",
            "inn",
            "client inn",
            "customer inn",
            "tax number",
            "tax id",
            "vat number",
        ),
    ),
    FieldSpec(
        "client_name",
        gettext_lazy("Client"),
        (
            "контрагент",
            "покупатель",
            "клиент",
            "наименование контрагента",
            "контрагент наименование",
            "партнер",
            "client",
            "customer",
            "client name",
            "customer name",
            "account",
        ),
    ),
    FieldSpec(
        "manager",
        gettext_lazy("Manager"),
        (
            "менеджер",
            "ответственный",
            "менеджер клиента",
            "менеджер по продажам",
            "ответственный менеджер",
            "manager",
            "sales manager",
            "account manager",
            "kam",
            "salesperson",
            "responsible",
        ),
    ),
    FieldSpec(
        "department",
        gettext_lazy("Department"),
        ("подразделение", "отдел", "подразделение продаж", "отдел продаж", "department", "division", "dept"),
    ),
    FieldSpec(
        "product_code",
        gettext_lazy("Product code"),
        ("артикул", "код номенклатуры", "код товара", "sku", "product code", "item code", "article"),
    ),
    FieldSpec(
        "product_name",
        gettext_lazy("Product"),
        (
            "номенклатура",
            "товар",
            "наименование товара",
            "наименование",
            "product",
            "product name",
            "item",
            "goods",
        ),
    ),
    FieldSpec(
        "quantity",
        gettext_lazy("Quantity"),
        ("количество", "кол-во", "колво", "кол во", "quantity", "qty", "units"),
    ),
    FieldSpec(
        "revenue",
        gettext_lazy("Revenue"),
        (
            "выручка",
            "сумма",
            "сумма продажи",
            "сумма реализации",
            "сумма с ндс",
            "сумма без ндс",
            "выручка с ндс",
            "выручка без ндс",
            "revenue",
            "amount",
            "sales",
            "net sales",
            "turnover",
            "sum",
        ),
    ),
    FieldSpec(
        "cost",
        gettext_lazy("Cost"),
        (
            "себестоимость",
            "себестоимость продаж",
            "себестоимость сумма",
            "сумма себестоимости",
            "cost",
            "cost of sales",
            "cogs",
            "cost price",
        ),
    ),
)
SPECS = {spec.name: spec for spec in FIELD_SPECS}
FIELD_NAMES = tuple(SPECS)
REQUIRED_SIMPLE = ("date", "revenue", "cost")


def field_label(name: str) -> str:
    return str(SPECS[name].label)


def normalise_header(text: object) -> str:
    value = str(text or "").strip().lower().replace("ё", "е").replace("\u00a0", " ")
    value = value.replace("№", " номер ").replace("_", " ")
    value = re.sub(r"[.,:;()\[\]\"'«»#*]", " ", value)
    return " ".join(value.split())


_SYNONYM_RANK = {
    syn: (spec.name, rank) for spec in FIELD_SPECS for rank, syn in enumerate(spec.synonyms) if syn
}


def recognise_headers(headers: Sequence[str]) -> dict[str, int]:
    """Field name → column index for the columns whose header is a known synonym."""
    best: dict[str, tuple[int, int]] = {}
    for index, header in enumerate(headers):
        hit = _SYNONYM_RANK.get(normalise_header(header))
        if hit is None:
            continue
        name, rank = hit
        if name not in best or rank < best[name][0]:
            best[name] = (rank, index)
    return {name: index for name, (_rank, index) in best.items()}


def missing_fields(mapping: dict[str, int]) -> list[str]:
    """Required fields (or groups of them) that the mapping does not cover, as labels."""
    missing = [field_label(name) for name in REQUIRED_SIMPLE if name not in mapping]
    if "client_inn" not in mapping and "client_name" not in mapping:
        missing.append(_("Client INN or client name"))
    if "external_id" not in mapping and "document" not in mapping:
        missing.append(_("Line id, or document number (with line number)"))
    return missing


def resolve_mapping(
    headers: Sequence[str], explicit: dict[str, str | int] | None
) -> tuple[dict[str, int], list[str]]:
    """Combine an explicit mapping (field → header text, or column index) with recognised headers.

    Returns the mapping and a list of problems with the explicit part.
    """
    problems: list[str] = []
    chosen: dict[str, int] = {}
    lowered = [normalise_header(h) for h in headers]
    for name, target in (explicit or {}).items():
        if name not in SPECS:
            problems.append(
                _("Unknown field %(name)s; fields are: %(fields)s")
                % {"name": name, "fields": ", ".join(FIELD_NAMES)}
            )
            continue
        if target in (None, "", -1):
            continue
        index: int | None = None
        if isinstance(target, int):
            index = target if 0 <= target < len(headers) else None
        else:
            wanted = normalise_header(target)
            if wanted in lowered:
                index = lowered.index(wanted)
            elif str(target).strip().isdigit() and 1 <= int(str(target)) <= len(headers):
                index = int(str(target)) - 1  # a column number, counted from 1
        if index is None:
            problems.append(
                _("Column %(column)s for %(field)s is not in the file; its columns are: %(headers)s")
                % {"column": target, "field": name, "headers": ", ".join(str(h) for h in headers)}
            )
            continue
        chosen[name] = index
    taken = set(chosen.values())
    for name, index in recognise_headers(headers).items():
        if name not in chosen and index not in taken:
            chosen[name] = index
            taken.add(index)
    return chosen, problems


def parse_mapping_option(text: str) -> dict[str, str | int]:
    """`date=Дата,client_inn=ИНН` (from the command line) → {"date": "Дата", "client_inn": "ИНН"}."""
    result: dict[str, str | int] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, header = part.partition("=")
        if not sep:
            raise ValueError(_("Write the mapping as field=Column, e.g. date=Дата,revenue=Сумма"))
        result[name.strip()] = header.strip()
    return result


# --------------------------------------------------------------------------- reading files


@dataclass
class Table:
    """A file opened for reading: its header and an iterator over (row number, cells)."""

    kind: str  # csv / xlsx
    headers: list[str]
    header_row: int  # counted from 1, as a spreadsheet shows it
    rows: Iterator[tuple[int, Sequence[Any]]]
    encoding: str = ""
    delimiter: str = ""
    fraction_read: Callable[[], float] = lambda: 0.0
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        closers, self.closers = self.closers, []
        for close in closers:
            close()


class _CountingReader(io.RawIOBase):
    """Wraps a binary file to know how far through it the reader is (for progress)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.consumed += n
        return n


_CHUNK = 1 << 20


def _decodes_as(raw: IO[bytes], encoding: str) -> tuple[bool, int]:
    """Whether the whole file decodes in `encoding`; the byte offset of the first bad byte otherwise."""
    decoder = codecs.getincrementaldecoder(encoding)()
    raw.seek(0)
    offset = 0
    while True:
        chunk = raw.read(_CHUNK)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            return False, offset + error.start
        if not chunk:
            break
        offset += len(chunk)
    raw.seek(0)
    return True, 0


_PLAUSIBLE = re.compile(r"[\w\s.,;:!?\"'()\[\]{}<>/\\|+\-*=%&#@№«»–—…$€₽^~`_\u00a0\u202f]")


def _looks_like_text(sample: str) -> bool:
    """True when nearly every character is a letter, digit, space or usual punctuation."""
    if not sample:
        return True
    odd = len(_PLAUSIBLE.sub("", sample))
    letters = re.findall(r"[^\W\d_]", sample)
    # Mojibake from a wrong single-byte guess shows as many letters outside Latin and Cyrillic.
    foreign = sum(1 for ch in letters if not ("a" <= ch.lower() <= "z" or "\u0400" <= ch <= "\u04ff"))
    return odd <= len(sample) * 0.02 and foreign <= max(3, len(letters) * 0.05)


def _not_text() -> str:
    return _(
        "The file does not read as text in UTF-8 or Windows-1251 (it shows unreadable characters). "
        "Save it from 1C or Excel as CSV or XLSX and try again."
    )


def detect_encoding(raw: IO[bytes], requested: str | None = None) -> str:
    """The text encoding of a CSV file: BOM, then UTF-8 if every byte fits, else Windows-1251."""
    raw.seek(0)
    head = raw.read(65536)
    raw.seek(0)
    if requested:
        try:
            name = codecs.lookup(requested).name
        except LookupError:
            raise FileProblem(_("Unknown encoding %(name)s.") % {"name": requested}) from None
        if name == "utf-8" and head.startswith(codecs.BOM_UTF8):
            name = "utf-8-sig"
        ok, offset = _decodes_as(raw, name)
        if not ok:
            raise FileProblem(
                _(
                    "The file cannot be read as %(encoding)s (byte %(offset)s does not fit). "
                    "Choose another encoding or leave it to automatic detection."
                )
                % {"encoding": requested, "offset": offset}
            )
        return name
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in head:
        raise FileProblem(_("This is not a text (CSV) file or an Excel workbook: it contains binary data."))
    else:
        encoding = "utf-8" if _decodes_as(raw, "utf-8")[0] else "cp1251"
        if encoding == "cp1251" and not _decodes_as(raw, "cp1251")[0]:
            raise FileProblem(_not_text())
    raw.seek(0)
    sample = head.decode(encoding, errors="replace")[:20000]
    if not _looks_like_text(sample):
        raise FileProblem(_not_text())
    return encoding


DELIMITERS = (";", "\t", ",", "|")


def sniff_delimiter(lines: list[str]) -> str:
    """The separator that splits the first lines into the most columns, most consistently."""
    best, best_score = ";", (-1, -1)
    lines = [line for line in lines if line.strip()][:HEADER_SCAN_ROWS]
    for candidate in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=candidate)]
        if not counts:
            continue
        wide = [c for c in counts if c > 1]
        if not wide:
            continue
        mode = max(set(wide), key=wide.count)
        score = (wide.count(mode), mode)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _pick_header(first_rows: list[Sequence[Any]]) -> int:
    """Index of the header row among the first rows: the one naming the most known fields."""
    best_index, best_score = -1, 1
    for index, row in enumerate(first_rows):
        score = len(recognise_headers([str(c) if c is not None else "" for c in row]))
        if score > best_score:
            best_index, best_score = index, score
    if best_index >= 0:
        return best_index
    for index, row in enumerate(first_rows):
        if any(str(c).strip() for c in row if c is not None):
            return index
    return 0


def _header_texts(row: Sequence[Any]) -> list[str]:
    return [str(c).strip() if c is not None else "" for c in row]


def _open_csv(raw: IO[bytes], encoding: str | None, delimiter: str | None, size: int) -> Table:
    enc = detect_encoding(raw, encoding)
    raw.seek(0)
    head = raw.read(65536)
    sample = head.decode(enc, errors="replace")
    head_lines = sample.splitlines(keepends=True)
    if len(head) == 65536 and len(head_lines) > 1:
        head_lines.pop()  # cut in the middle
    if not any(line.strip() for line in head_lines):
        raise FileProblem(_("The file is empty."))
    sep = delimiter or sniff_delimiter(head_lines[:HEADER_SCAN_ROWS])
    if sep == "\\t":
        sep = "\t"
    raw.seek(0)
    counting = _CountingReader(raw)
    text = io.TextIOWrapper(io.BufferedReader(counting, _CHUNK), encoding=enc, newline="")
    numbered = enumerate(csv.reader(text, delimiter=sep), start=1)
    first: list[tuple[int, list[str]]] = []
    try:
        for item in numbered:
            first.append(item)
            if len(first) >= HEADER_SCAN_ROWS:
                break
    except csv.Error as error:
        raise FileProblem(_("The CSV structure is broken: %(error)s") % {"error": error}) from None
    if not first:
        raise FileProblem(_("The file is empty."))
    header_index = _pick_header([row for _n, row in first])
    header_no, header = first[header_index]
    rest = first[header_index + 1 :]

    return Table(
        kind="csv",
        headers=_header_texts(header),
        header_row=header_no,
        rows=itertools.chain(rest, numbered),
        encoding=enc,
        delimiter=sep,
        fraction_read=lambda: min(1.0, counting.consumed / size) if size else 0.0,
        closers=[lambda: _detach(text)],
    )


def _detach(text: io.TextIOWrapper) -> None:
    """Stop reading without closing the caller's file."""
    text.detach()


def _open_xlsx(raw: IO[bytes]) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(raw, read_only=True, data_only=True)
    except Exception as error:  # zip, XML and openpyxl's own errors: all mean "not a workbook we can read"
        raise FileProblem(
            _("This Excel file cannot be read (%(error)s). Save it again as .xlsx or CSV.")
            % {"error": type(error).__name__}
        ) from None
    sheet = workbook.active or workbook.worksheets[0]
    total = sheet.max_row or 0
    iterator = enumerate(sheet.iter_rows(values_only=True), start=1)
    first: list[tuple[int, Sequence[Any]]] = []
    for item in iterator:
        first.append(item)
        if len(first) >= HEADER_SCAN_ROWS:
            break
    if not first:
        workbook.close()
        raise FileProblem(_("The workbook's first sheet is empty."))
    header_index = _pick_header([row for _n, row in first])
    header_no, header = first[header_index]
    rest = first[header_index + 1 :]
    position = {"row": header_no}

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        for number, row in rest:
            position["row"] = number
            yield number, row
        for number, row in iterator:
            position["row"] = number
            yield number, row

    return Table(
        kind="xlsx",
        headers=_header_texts(header),
        header_row=header_no,
        rows=rows(),
        fraction_read=lambda: min(1.0, position["row"] / total) if total else 0.0,
        closers=[workbook.close],
    )


def open_table(
    raw: IO[bytes], *, name: str = "", encoding: str | None = None, delimiter: str | None = None
) -> Table:
    """Open a ledger file (CSV or XLSX, told apart by content) for reading; FileProblem if it can't be."""
    raw.seek(0, io.SEEK_END)
    size = raw.tell()
    raw.seek(0)
    magic = raw.read(8)
    raw.seek(0)
    if size == 0:
        raise FileProblem(_("The file is empty."))
    if magic.startswith(b"PK\x03\x04"):
        return _open_xlsx(raw)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(_("This is an old Excel .xls file: save it as .xlsx or CSV and upload that."))
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise FileProblem(_("This file is named .xlsx but is not an Excel workbook."))
    return _open_csv(raw, encoding, delimiter, size)


# --------------------------------------------------------------------------- values


class BadValue(ValueError):
    """A cell that cannot be read; str(error) is the reason shown to the user."""


_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'\u2019\t")
_CURRENCY_SUFFIXES = ("₽", "руб.", "руб", "р.", "rub", "rur")


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _decimal_text(text: str) -> tuple[bool, str, str]:
    """`-1 234,5` → (negative, "1234", "5"); raises BadValue when it isn't a plain number."""
    t = text.translate(_SPACES)
    low = t.lower()
    for suffix in _CURRENCY_SUFFIXES:
        if low.endswith(suffix):
            t = t[: -len(suffix)]
            break
    negative = False
    if t[:1] in ("-", "\u2212"):
        negative, t = True, t[1:]
    elif t[:1] == "(" and t[-1:] == ")":
        negative, t = True, t[1:-1]
    elif t[:1] == "+":
        t = t[1:]
    if "," in t:
        if "." in t:
            # Whichever comes last is the decimal separator.
            last_comma = t.rfind(",") > t.rfind(".")
            t = t.replace(".", "").replace(",", ".") if last_comma else t.replace(",", "")
        elif t.count(",") == 1:
            t = t.replace(",", ".")
        else:
            t = t.replace(",", "")
    elif t.count(".") > 1:
        t = t.replace(".", "")
    whole, _dot, frac = t.partition(".")
    if not whole:
        whole = "0"
    if not (whole.isascii() and whole.isdigit()) or (frac and not (frac.isascii() and frac.isdigit())):
        raise BadValue(_("'%(value)s' is not a number") % {"value": _shown(text)})
    return negative, whole, frac


def parse_kopecks(value: object) -> int:
    """A money cell → integer kopecks, exactly; BadValue with the reason otherwise."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise BadValue(_("is empty"))
        negative, whole, frac = _decimal_text(text)
        if len(frac) > 2:
            if frac[2:].strip("0"):
                raise BadValue(_("'%(value)s' has more than two decimal places") % {"value": _shown(text)})
            frac = frac[:2]
        kop = int(whole) * 100 + (int(frac.ljust(2, "0")) if frac else 0)
        if negative:
            kop = -kop
    elif value is None:
        raise BadValue(_("is empty"))
    elif isinstance(value, bool):
        raise BadValue(_("'%(value)s' is not a number") % {"value": value})
    elif isinstance(value, int):
        kop = value * 100
    elif isinstance(value, float | Decimal):
        try:
            exact = Decimal(repr(value)) if isinstance(value, float) else value
            scaled = exact * 100
            kop = int(scaled.to_integral_value())
        except (InvalidOperation, ValueError, OverflowError):
            raise BadValue(_("'%(value)s' is not a number") % {"value": _shown(value)}) from None
        if abs(scaled - kop) > Decimal("0.000001"):
            raise BadValue(_("'%(value)s' has more than two decimal places") % {"value": _shown(value)})
    else:
        raise BadValue(_("'%(value)s' is not a number") % {"value": _shown(value)})
    if abs(kop) > MAX_AMOUNT_KOP:
        raise BadValue(_("'%(value)s' is too large for one line") % {"value": _shown(value)})
    return kop


def parse_quantity(value: object) -> str | None:
    """A quantity cell → a plain decimal string with at most 3 decimals, or None when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadValue(_("'%(value)s' is not a number") % {"value": value})
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else value
    else:
        text = str(value).strip()
        if not text:
            return None
        negative, whole, frac = _decimal_text(text)
        number = Decimal(f"{'-' if negative else ''}{whole}.{frac or '0'}")
    if not number.is_finite() or abs(number) > MAX_QUANTITY:
        raise BadValue(_("'%(value)s' is not a usable quantity") % {"value": _shown(value)})
    rounded = number.quantize(Decimal("0.001"))
    if rounded != number:
        raise BadValue(_("'%(value)s' has more than three decimal places") % {"value": _shown(value)})
    text = format(rounded.normalize(), "f")
    return text


_DAY_FIRST = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?:[ T].*)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not 20000 <= value <= 80000:
            raise BadValue(_("'%(value)s' is not a date") % {"value": _shown(value)})
        day = _EXCEL_EPOCH + timedelta(days=int(value))
    elif value is None:
        raise BadValue(_("is empty"))
    else:
        text = str(value).strip()
        if not text:
            raise BadValue(_("is empty"))
        match = _DAY_FIRST.match(text)
        if match:
            d, m, y = (int(g) for g in match.groups())
            if len(match.group(3)) == 2:
                y += 2000
        else:
            match = _ISO.match(text)
            if not match:
                raise BadValue(
                    _("'%(value)s' is not a date (write 31.01.2024 or 2024-01-31)") % {"value": _shown(text)}
                )
            y, m, d = (int(g) for g in match.groups())
        try:
            day = date(y, m, d)
        except ValueError:
            raise BadValue(
                _("'%(value)s' is not a date: day or month out of range") % {"value": _shown(text)}
            ) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise BadValue(
            _("'%(value)s' is outside the years %(low)s–%(high)s")
            % {"value": _shown(value), "low": MIN_YEAR, "high": MAX_YEAR}
        )
    return day


def cell_text(value: object) -> str:
    """A cell as text: integers from Excel without a trailing .0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def parse_inn(value: object) -> str:
    """An INN cell → its digits; Excel drops leading zeros, so 9 and 11 digits are padded back."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = cell_text(value)
        if len(digits) in (9, 11):
            digits = "0" + digits
        return digits
    text = str(value or "").translate(_SPACES).strip()
    if text and not (text.isascii() and text.isdigit()):
        raise BadValue(_("'%(value)s' is not an INN: it must be digits only") % {"value": _shown(text)})
    return text


def name_key(text: str) -> str:
    """Names compared case-, ё- and space-insensitively."""
    return " ".join(text.upper().replace("Ё", "Е").split())


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the file as a whole
    column: str
    message: str

    def as_list(self) -> list[Any]:
        return [self.row, self.column, self.message]

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.column:
            return _("row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class Interner:
    """Distinct values get small integer codes, so a million rows hold ints, not strings."""

    values: list[Any] = field(default_factory=list)
    codes: dict[Any, int] = field(default_factory=dict)

    def code(self, value: Any) -> int:
        found = self.codes.get(value)
        if found is None:
            found = self.codes[value] = len(self.values)
            self.values.append(value)
        return found


@dataclass
class ParsedLines:
    """Good rows in columns. Codes point into the interners; -1 means empty."""

    row_no: list[int] = field(default_factory=list)
    external_id: list[str] = field(default_factory=list)
    day: list[int] = field(default_factory=list)  # code into days
    client: list[int] = field(default_factory=list)  # code into clients: ("i", inn) / ("n", NAME)
    manager: list[int] = field(default_factory=list)
    department: list[int] = field(default_factory=list)
    product: list[int] = field(default_factory=list)  # code into products: (code, name)
    quantity: list[int] = field(default_factory=list)  # code into quantities (str)
    revenue: list[int] = field(default_factory=list)  # kopecks
    cost: list[int] = field(default_factory=list)
    days: Interner = field(default_factory=Interner)
    clients: Interner = field(default_factory=Interner)
    client_names: dict[int, str] = field(default_factory=dict)  # first name seen per client code
    managers: Interner = field(default_factory=Interner)
    departments: Interner = field(default_factory=Interner)
    products: Interner = field(default_factory=Interner)
    quantities: Interner = field(default_factory=Interner)

    def __len__(self) -> int:
        return len(self.row_no)


class ErrorLog:
    """Every error is counted; the first `keep` are kept with row, column and reason."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.items: list[RowError] = []
        self.total = 0
        self.bad_rows: set[int] = set()

    def add(self, row: int | None, column: str, message: str) -> None:
        self.total += 1
        if row is not None:
            self.bad_rows.add(row)
        if len(self.items) < self.keep:
            self.items.append(RowError(row, column, message))

    @property
    def file_level(self) -> bool:
        return any(item.row is None for item in self.items)


_MONEY_FAST = re.compile(r"(-?)(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,](\d{1,2}))?")
_THOUSANDS = str.maketrans("", "", " \u00a0\u202f")


def fast_kopecks(value: object) -> int | str:
    """parse_kopecks for the usual cell (`1 234,56`) without the general parser; the error text if bad."""
    if value.__class__ is str:
        match = _MONEY_FAST.fullmatch(value)
        if match is not None:
            sign, whole, frac = match.groups()
            if len(whole) > 3:
                whole = whole.translate(_THOUSANDS)
            kop = int(whole) * 100
            if frac:
                kop += int(frac) * (10 if len(frac) == 1 else 1)
            if kop <= MAX_AMOUNT_KOP:
                return -kop if sign else kop
    try:
        return parse_kopecks(value)
    except BadValue as error:
        return str(error)


class RowParser:
    """Turns raw rows into ParsedLines, recording bad cells in an ErrorLog.

    Everything that repeats across rows (dates, INNs, names, managers, products, quantities) is
    decoded once and looked up by the raw cell after that; money has a regular-expression fast path.
    """

    CACHE_LIMIT = 200_000

    def __init__(self, headers: Sequence[str], mapping: dict[str, int], errors: ErrorLog) -> None:
        self.headers = list(headers)
        self.mapping = mapping
        self.errors = errors
        self.out = ParsedLines()
        self.seen_ids: dict[str, int] = {}
        self.doc_lines: dict[str, int] = {}
        self.column = {name: self._column_name(name) for name in FIELD_NAMES}
        self.width = max(mapping.values(), default=-1) + 1
        self.years: list[int] = []  # per day code
        self._dates: dict[Any, int | str] = {}
        self._inns: dict[Any, int | str] = {}
        self._names: dict[str, int] = {}
        self._managers: dict[str, int] = {}
        self._departments: dict[str, int] = {}
        self._products: dict[tuple[Any, Any], int | str] = {}
        self._quantities: dict[Any, int | str] = {}

    def _column_name(self, name: str) -> str:
        index = self.mapping.get(name)
        if index is None:
            return field_label(name)
        header = self.headers[index] if index < len(self.headers) else ""
        return header or _("column %(n)s") % {"n": index + 1}

    # Slow paths: the first time a raw value is seen (results are cached by the caller).

    def _date(self, raw: Any) -> int | str:
        try:
            day = parse_date(raw)
        except BadValue as error:
            result: int | str = str(error)
        else:
            result = self.out.days.code(day)
            if result == len(self.years):
                self.years.append(day.year)
        if len(self._dates) < self.CACHE_LIMIT:
            self._dates[raw] = result
        return result

    def _inn(self, raw: Any) -> int | str:
        try:
            inn = parse_inn(raw)
        except BadValue as error:
            result: int | str = str(error)
        else:
            result = self.out.clients.code(("i", inn)) if inn else -1
        if len(self._inns) < self.CACHE_LIMIT:
            self._inns[raw] = result
        return result

    def _quantity(self, raw: Any) -> int | str:
        try:
            q = parse_quantity(raw)
        except BadValue as error:
            result: int | str = str(error)
        else:
            result = -1 if q is None else self.out.quantities.code(q)
        if len(self._quantities) < self.CACHE_LIMIT:
            self._quantities[raw] = result
        return result

    def _product(self, key: tuple[Any, Any]) -> int | str:
        code, name = (cell_text(v) for v in key)
        if len(code) > MAX_CELL_CHARS["product_code"]:
            result: int | str = _("longer than %(n)s characters") % {"n": MAX_CELL_CHARS["product_code"]}
        elif code or name:
            result = self.out.products.code((code, name[: MAX_CELL_CHARS["product_name"]]))
        else:
            result = -1
        if len(self._products) < self.CACHE_LIMIT:
            self._products[key] = result
        return result

    def feed(self, row_no: int, row: Sequence[Any]) -> bool:
        """Parse one row; False (and errors logged) when it is bad. Blank rows are skipped silently."""
        if not any(row):
            return False
        if len(row) < self.width:
            row = [*row, *([None] * (self.width - len(row)))]
        m = self.mapping
        out = self.out
        col = self.column
        problems: list[tuple[str, str]] = []
        # date, money
        raw = row[m["date"]]
        day = self._dates.get(raw)
        if day is None:
            day = self._date(raw)
        if day.__class__ is str:
            problems.append((col["date"], day))
        revenue = fast_kopecks(row[m["revenue"]])
        if revenue.__class__ is str:
            problems.append((col["revenue"], revenue))
        cost = fast_kopecks(row[m["cost"]])
        if cost.__class__ is str:
            problems.append((col["cost"], cost))
        # client: by INN when the row has one, else by name
        client: int | str = -1
        if "client_inn" in m:
            raw = row[m["client_inn"]]
            client = self._inns.get(raw) if raw.__class__ is str or raw is None else None  # type: ignore[assignment]
            if client is None:
                client = self._inn(raw)
            if client.__class__ is str:
                problems.append((col["client_inn"], client))
                client = -2
        name = ""
        if "client_name" in m:
            raw = row[m["client_name"]]
            name = raw.strip() if raw.__class__ is str else cell_text(raw)
            if client == -1 and name:
                client = self._names.get(name)  # type: ignore[assignment]
                if client is None:
                    client = self._names[name] = out.clients.code(("n", name_key(name)))
        if client == -1:
            problems.append(
                (
                    col["client_inn"] if "client_inn" in m else col["client_name"],
                    _("no client: the INN and the client name are both empty"),
                )
            )
        elif name and client not in out.client_names:
            out.client_names[client] = name[:300]  # type: ignore[index]
        # line id
        ext = ""
        if "external_id" in m:
            raw = row[m["external_id"]]
            ext = raw.strip() if raw.__class__ is str else cell_text(raw)
            if not ext:
                problems.append((col["external_id"], _("is empty")))
        else:
            raw = row[m["document"]]
            doc = raw.strip() if raw.__class__ is str else cell_text(raw)
            if not doc:
                problems.append((col["document"], _("is empty: the line cannot be identified")))
            else:
                if "line_no" in m:
                    raw = row[m["line_no"]]
                    line = raw.strip() if raw.__class__ is str else cell_text(raw)
                    if not line:
                        problems.append((col["line_no"], _("is empty: the line cannot be identified")))
                else:
                    # Without a line number the n-th line of a document in this file is line n.
                    n = self.doc_lines.get(doc, 0) + 1
                    self.doc_lines[doc] = n
                    line = str(n)
                if not problems:
                    ext = f"{doc}/{self.years[day]}/{line}"  # type: ignore[index]
        if len(ext) > MAX_CELL_CHARS["external_id"]:
            problems.append(
                (
                    col["external_id"] if "external_id" in m else col["document"],
                    _("the line id is longer than %(n)s characters") % {"n": MAX_CELL_CHARS["external_id"]},
                )
            )
        # optional fields
        manager = -1
        if "manager" in m:
            raw = row[m["manager"]]
            if raw:
                text = raw if raw.__class__ is str else cell_text(raw)
                manager = self._managers.get(text, -1)
                if manager < 0:
                    key = " ".join(text.lower().replace("ё", "е").split())
                    manager = out.managers.code(key) if key else -1
                    self._managers[text] = manager
        department = -1
        if "department" in m:
            raw = row[m["department"]]
            if raw:
                text = raw if raw.__class__ is str else cell_text(raw)
                department = self._departments.get(text, -1)
                if department < 0:
                    key = name_key(text)
                    department = out.departments.code(key) if key else -1
                    self._departments[text] = department
        quantity: int | str = -1
        if "quantity" in m:
            raw = row[m["quantity"]]
            quantity = self._quantities.get(raw)  # type: ignore[assignment]
            if quantity is None:
                quantity = self._quantity(raw)
            if quantity.__class__ is str:
                problems.append((col["quantity"], quantity))
        product: int | str = -1
        if "product_code" in m or "product_name" in m:
            pkey = (
                row[m["product_code"]] if "product_code" in m else None,
                row[m["product_name"]] if "product_name" in m else None,
            )
            product = self._products.get(pkey)  # type: ignore[assignment]
            if product is None:
                product = self._product(pkey)
            if product.__class__ is str:
                problems.append((col["product_code"], product))
        if problems:
            for column, message in problems:
                self.errors.add(row_no, column, message)
            return False
        first = self.seen_ids.get(ext)
        if first is not None:
            self.errors.add(
                row_no,
                col["external_id"] if "external_id" in m else col["document"],
                _("line id %(id)s repeats row %(first)s") % {"id": _shown(ext), "first": first},
            )
            return False
        self.seen_ids[ext] = row_no
        out.row_no.append(row_no)
        out.external_id.append(ext)
        out.day.append(day)  # type: ignore[arg-type]
        out.client.append(client)  # type: ignore[arg-type]
        out.manager.append(manager)
        out.department.append(department)
        out.product.append(product)  # type: ignore[arg-type]
        out.quantity.append(quantity)  # type: ignore[arg-type]
        out.revenue.append(revenue)  # type: ignore[arg-type]
        out.cost.append(cost)  # type: ignore[arg-type]
        return True


def parse_rows(
    rows: Iterable[tuple[int, Sequence[Any]]],
    parser: RowParser,
    *,
    every: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Feed every row to the parser; returns how many non-blank rows there were."""
    total = 0
    feed = parser.feed
    bad_rows = parser.errors.bad_rows
    try:
        for row_no, row in rows:
            if feed(row_no, row) or row_no in bad_rows:
                total += 1
            if progress is not None and row_no % every == 0:
                progress(row_no)
    except csv.Error as error:
        raise FileProblem(_("The CSV structure is broken: %(error)s") % {"error": error}) from None
    return total
