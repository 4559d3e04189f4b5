"""``kam analyze FILE``: key-account analysis of a ledger file from the command line.

Runs without Django or a database: the file is loaded into an in-memory DuckDB and
analysed by the same engine the application uses (kam.analytics.engine).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TextIO

from kam.analytics.engine import (
    REASON_CODES,
    AnalysisResult,
    AnalysisSettings,
    ClientRow,
    LedgerFileError,
    analyze_file,
)

EXIT_USAGE = 2
# The summary names at most this many department/manager-only key clients.
LOCAL_SHOWN = 20

FLAG_NAMES = (
    ("is_key", "key"),
    ("is_critical", "critical"),
    ("is_mono", "mono"),
    ("is_key_absolute", "absolute"),
    ("is_key_potential", "potential"),
)


def _month(text: str) -> date:
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month; use YYYY-MM")
    return date(int(m.group(1)), int(m.group(2)), 1)


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    return value


def _rubles_to_kop(text: str) -> int | None:
    if text.strip().lower() == "off":
        return None
    kop = _decimal(text) * 100
    if kop != kop.to_integral_value():
        raise argparse.ArgumentTypeError(f"{text!r}: at most 2 decimal places (kopecks)")
    return int(kop)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kam", description="Key Account Management command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "analyze",
        help="key-account analysis of a ledger file (CSV, XLSX, Parquet)",
        description="Key clients, ABC/XYZ, dependence and concentration from a sales ledger file.",
    )
    p.add_argument("file", help="ledger: date, client, [manager], [department], revenue, cost")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--basis", choices=("income", "turnover"), default="income")
    p.add_argument("--from", dest="period_start", type=_month, metavar="YYYY-MM", help="first month")
    p.add_argument(
        "--to", dest="period_end", type=_month, metavar="YYYY-MM", help="last month (default: last in file)"
    )
    d = AnalysisSettings()
    # Option names follow the settings; their dest is the settings field.
    for name in (
        "key_share",
        "critical_share",
        "mono_share",
        "abc_a",
        "abc_b",
        "xyz_x",
        "xyz_y",
        "discount_rate",
    ):
        default = getattr(d, name)
        p.add_argument(
            "--" + name.replace("_", "-"), dest=name, type=_decimal, default=default, metavar="D",
            help=f"default {default}",
        )  # fmt: skip
    p.add_argument("--horizon-years", dest="horizon_years", type=int, default=d.horizon_years, metavar="N")
    for option, name, what in (
        ("--absolute-threshold", "absolute_threshold_kop", "key by size: basis a year"),
        ("--wallet-threshold", "potential_wallet_threshold_kop", "key by potential: wallet left a year"),
        ("--npv-threshold", "potential_npv_threshold_kop", "key by potential: NPV of the margin"),
    ):
        kop = getattr(d, name)
        p.add_argument(
            option, dest=name, type=_rubles_to_kop, default=kop, metavar="RUB",
            help=f"{what}, rubles or 'off' (default {'off' if kop is None else rub(kop, grouped=False)})",
        )  # fmt: skip
    p.add_argument("--limit", type=int, default=None, metavar="N", help="table: show the top N clients only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage and the reason
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        settings = AnalysisSettings(**{f.name: getattr(args, f.name) for f in fields(AnalysisSettings)})
        result = analyze_file(args.file, settings, args.period_start, args.period_end)
    except (LedgerFileError, ValueError, OSError) as exc:
        print(f"kam: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out = sys.stdout
    if args.format == "json":
        json.dump(result.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif args.format == "csv":
        write_csv(result, out)
    else:
        write_table(result, out, limit=args.limit)
    return 0


# --------------------------------------------------------------------------- formatting


def rub(kop: int | None, *, grouped: bool = True) -> str:
    """Kopecks as rubles with two decimals, exactly (no floats)."""
    if kop is None:
        return ""
    sign = "-" if kop < 0 else ""
    whole, frac = divmod(abs(kop), 100)
    digits = f"{whole:,}".replace(",", " ") if grouped else str(whole)
    return f"{sign}{digits}.{frac:02d}"


def pct(share: Decimal | None) -> str:
    return "" if share is None else f"{share * 100:.2f}"


def flags(c: ClientRow) -> str:
    return ",".join(label for attr, label in FLAG_NAMES if getattr(c, attr))


def why_key(c: ClientRow) -> str:
    return ",".join(r.code for r in c.reasons)


def _label(c: ClientRow) -> str:
    return c.client_label if c.client_label is not None else str(c.client_id)


def write_csv(result: AnalysisResult, out: TextIO) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [
            "rank", "client_id", "client", "turnover_rub", "income_rub", "basis_rub", "share",
            "cumulative_share", "abc", "xyz", "cv", "flags", "why_key", "is_key_any",
            "wallet_left_rub", "npv_rub", "key_for_departments", "key_for_managers",
        ]
    )  # fmt: skip
    for c in result.clients:
        w.writerow(
            [
                c.rank, c.client_id, _label(c), rub(c.turnover, grouped=False), rub(c.income, grouped=False),
                rub(c.basis, grouped=False), "" if c.share is None else c.share,
                "" if c.cumulative_share is None else c.cumulative_share, c.abc, c.xyz,
                "" if c.cv is None else f"{c.cv:.4f}", flags(c), why_key(c), int(c.is_key_any),
                rub(c.wallet_left, grouped=False), rub(c.npv, grouped=False),
                " ".join(map(str, c.key_for_departments)), " ".join(map(str, c.key_for_managers)),
            ]
        )  # fmt: skip


def write_table(result: AnalysisResult, out: TextIO, *, limit: int | None = None) -> None:
    header = [
        "rank",
        "client",
        "turnover RUB",
        "income RUB",
        "share %",
        "cum %",
        "ABC",
        "XYZ",
        "flags",
        "why key",
    ]
    right = {0, 2, 3, 4, 5}
    shown = result.clients if limit is None else result.clients[: max(limit, 0)]
    rows = [
        [
            str(c.rank), _label(c), rub(c.turnover), rub(c.income), pct(c.share), pct(c.cumulative_share),
            c.abc, c.xyz, flags(c), why_key(c),
        ]
        for c in shown
    ]  # fmt: skip
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    s = result.settings
    print(
        f"Period {result.period_start:%Y-%m} .. {result.period_end:%Y-%m} ({result.months} months), "
        f"basis: {s.basis}",
        file=out,
    )
    print(line(header), file=out)
    print(line(["-" * w for w in widths]), file=out)
    for r in rows:
        print(line(r), file=out)
    if len(shown) < len(result.clients):
        print(f"... {len(result.clients) - len(shown)} more clients", file=out)
    print(file=out)
    for text in concentration_summary(result):
        print(text, file=out)


def concentration_summary(result: AnalysisResult) -> list[str]:
    k = result.concentration
    s = result.settings
    lines = [
        f"Clients: {k.clients_count} ({k.positive_clients_count} with positive {s.basis}); "
        f"turnover {rub(result.total_turnover)} RUB, income {rub(result.total_income)} RUB",
    ]
    if k.top1_share is None:
        lines.append(f"Company {s.basis} is not positive: no shares, no key flags by share.")
    else:
        lines.append(
            f"Top-1 {pct(k.top1_share)} %, top-5 {pct(k.top5_share)} %, top-10 {pct(k.top10_share)} %"
        )
        if k.pareto_clients is not None:
            lines.append(
                f"{pct(k.pareto_threshold)} % of the {s.basis} comes from {k.pareto_clients} clients "
                f"({pct(k.pareto_clients_share)} % of clients)"
            )
    if k.hhi is not None:
        lines.append(f"HHI {k.hhi} (of 10000), Gini {k.gini}")
    key = result.key_clients
    counts = dict.fromkeys(REASON_CODES, 0)
    for c in key:
        for r in c.reasons:
            counts[r.code] += 1
    by = ", ".join(f"{code} {n}" for code, n in counts.items() if n)
    lines.append(f"Key clients: {len(key)}" + (f" ({by})" if by else ""))
    company_key = {c.client_id for c in result.clients if c.is_key}
    labels = {c.client_id: _label(c) for c in result.clients}
    local = [
        f"{labels.get(r.client_id, r.client_id)} in {r.scope} "
        f"{r.scope_label if r.scope_label is not None else r.scope_id} ({pct(r.share)} %)"
        for r in (*result.departments, *result.managers)
        if r.is_key and r.client_id not in company_key
    ]
    if local:
        more = f"; and {len(local) - LOCAL_SHOWN} more" if len(local) > LOCAL_SHOWN else ""
        lines.append("Key for a department or manager only: " + "; ".join(local[:LOCAL_SHOWN]) + more)
    return lines
