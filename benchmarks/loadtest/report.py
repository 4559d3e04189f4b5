"""Summarise locust's --csv output: p50/p95/p99, rps and errors per endpoint, and PASS/FAIL.

    python benchmarks/loadtest/report.py PREFIX [--p95-ms 300] [--markdown OUT.md] [--title TEXT]

PREFIX is what was given to locust's --csv (PREFIX_stats.csv, PREFIX_failures.csv). PASS: every endpoint
of loadtest_endpoints.ROLES was requested, each has p95 under the budget, and there are no errors at all
(a login, slow on purpose, is shown but not judged on time; its errors do count).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadtest_endpoints as ep


def _num(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def read_stats(prefix: str) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_failures(prefix: str) -> list[dict[str, str]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def summarise(prefix: str, budget_ms: float) -> tuple[list[list[str]], list[str], bool]:
    rows: list[list[str]] = []
    problems: list[str] = []
    stats = read_stats(prefix)
    for row in stats:
        name = row["Name"]
        count = int(_num(row["Request Count"]))
        errors = int(_num(row["Failure Count"]))
        p50, p95, p99 = _num(row["50%"]), _num(row["95%"]), _num(row["99%"])
        judged = name not in ep.NOT_JUDGED and name != "Aggregated"
        verdict = "ok"
        if errors:
            verdict = "ERRORS"
            problems.append(f"{name}: {errors} errors of {count}")
        if judged and p95 >= budget_ms:
            verdict = "SLOW" if verdict == "ok" else verdict + "+SLOW"
            problems.append(f"{name}: p95 {p95:.0f} ms >= {budget_ms:.0f} ms")
        if not judged:
            verdict = "(not judged)" if name != "Aggregated" else ""
            if errors:
                verdict = "ERRORS"
        label = f"{row['Type']} {name}".strip() if name != "Aggregated" else "all requests"
        rows.append(
            [
                label,
                str(count),
                f"{p50:.0f}",
                f"{p95:.0f}",
                f"{p99:.0f}",
                f"{_num(row['Requests/s']):.1f}",
                str(errors),
                verdict,
            ]
        )
    measured = {r["Name"] for r in stats if int(_num(r["Request Count"])) > 0}
    expected = {e.name for endpoints in ep.ROLES.values() for e in endpoints}
    for name in sorted(expected - measured):
        problems.append(f"{name}: not measured (no request in the run)")
    return rows, problems, not problems


HEADER = ["endpoint", "requests", "p50 ms", "p95 ms", "p99 ms", "req/s", "errors", "verdict"]


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = []
    for row in [HEADER, ["-" * w for w in widths], *rows]:
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def markdown_table(rows: list[list[str]]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(HEADER) - 2) + ["---"]) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("prefix")
    parser.add_argument("--p95-ms", type=float, default=300.0)
    parser.add_argument("--markdown", default="")
    parser.add_argument("--title", default="")
    parser.add_argument("--note", default="", help="a line printed under the table (e.g. the login times)")
    args = parser.parse_args()

    rows, problems, passed = summarise(args.prefix, args.p95_ms)
    print(text_table(rows))
    failures = read_failures(args.prefix)
    if failures:
        print("\nerrors:")
        for failure in failures:
            print(
                f"  {failure['Occurrences']:>5} x {failure['Method']} {failure['Name']}: {failure['Error']}"
            )
    if args.note:
        print(f"\n{args.note}")
    verdict = "PASS" if passed else "FAIL"
    print(f"\n{verdict}: p95 < {args.p95_ms:.0f} ms on every judged endpoint and 0 errors")
    for problem in problems:
        print(f"  - {problem}")
    if args.markdown:
        body = [f"### {args.title}\n" if args.title else "", markdown_table(rows), ""]
        if args.note:
            body += [args.note, ""]
        body.append(f"**{verdict}** (p95 < {args.p95_ms:.0f} ms, 0 errors)")
        body += [f"- {p}" for p in problems]
        Path(args.markdown).write_text("\n".join(body) + "\n", encoding="utf-8")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
