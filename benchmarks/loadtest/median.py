"""Several load-test runs side by side: per endpoint the median p95 and the range over the runs.

    python benchmarks/loadtest/median.py RESULTS_PREFIX [RESULTS_PREFIX ...] [--p95-ms 300] [--markdown OUT.md]

Each RESULTS_PREFIX is a run's prefix in var/loadtest/results/ (what report.py reads: PREFIX_stats.csv).
On a shared machine one minute gives an endpoint 20-150 requests, so its p95 is one of its slowest few
requests; the median over several runs says more than any one run. The verdict is judged on the medians:
PASS when every judged endpoint's median p95 is under the budget and no run had an error.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadtest_endpoints as ep
from report import _num, read_stats


def combine(prefixes: list[str], budget_ms: float) -> tuple[list[list[str]], list[str]]:
    by_name: dict[str, list[dict[str, str]]] = {}
    for prefix in prefixes:
        for row in read_stats(prefix):
            by_name.setdefault(row["Name"], []).append(row)
    rows: list[list[str]] = []
    problems: list[str] = []
    for name in sorted(by_name, key=lambda n: (n == "Aggregated", n)):
        runs = by_name[name]
        p95s = [_num(r["95%"]) for r in runs]
        p50s = [_num(r["50%"]) for r in runs]
        requests = sum(int(_num(r["Request Count"])) for r in runs)
        errors = sum(int(_num(r["Failure Count"])) for r in runs)
        median_p95 = statistics.median(p95s)
        judged = name not in ep.NOT_JUDGED and name != "Aggregated"
        verdict = "" if not judged else "ok"
        if errors:
            verdict = "ERRORS"
            problems.append(f"{name}: {errors} failed requests in {len(runs)} runs")
        if judged and median_p95 >= budget_ms:
            verdict = "SLOW" if verdict == "ok" else verdict + "+SLOW"
            problems.append(f"{name}: median p95 {median_p95:.0f} ms >= {budget_ms:.0f} ms")
        label = "all requests" if name == "Aggregated" else f"{runs[0]['Type']} {name}".strip()
        rows.append(
            [
                label,
                str(requests),
                f"{statistics.median(p50s):.0f}",
                f"{median_p95:.0f}",
                f"{min(p95s):.0f}–{max(p95s):.0f}",
                str(errors),
                verdict,
            ]
        )
    return rows, problems


HEADERS = ["endpoint", "requests", "p50 ms (median)", "p95 ms (median)", "p95 range", "errors", "verdict"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("prefixes", nargs="+")
    parser.add_argument("--p95-ms", type=float, default=300.0)
    parser.add_argument("--markdown", default="")
    args = parser.parse_args()
    rows, problems = combine(args.prefixes, args.p95_ms)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADERS)]
    print("  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    verdict = "PASS" if not problems else "FAIL"
    print(f"\n{verdict} over {len(args.prefixes)} runs (median p95 < {args.p95_ms:.0f} ms, no errors)")
    for problem in problems:
        print(f"  - {problem}")
    if args.markdown:
        lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        Path(args.markdown).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
