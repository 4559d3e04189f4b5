"""Several load-test runs combined: median p95 per endpoint, the range, and the verdict on the medians."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import loadtest_endpoints as ep  # noqa: E402
import median  # noqa: E402

FIELDS = ["Type", "Name", "Request Count", "Failure Count", "50%", "95%", "99%", "Requests/s"]


def _run(tmp_path: Path, name: str, p95: dict[str, float], errors: int = 0) -> str:
    prefix = tmp_path / name
    with open(f"{prefix}_stats.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for endpoint, value in p95.items():
            writer.writerow(
                {
                    "Type": "GET",
                    "Name": endpoint,
                    "Request Count": 10,
                    "Failure Count": errors,
                    "50%": value / 3,
                    "95%": value,
                    "99%": value,
                    "Requests/s": 1,
                }
            )
    return str(prefix)


def test_the_verdict_reads_the_median_of_the_runs_not_the_worst(tmp_path: Path) -> None:
    page = ep.ROLES["kam"][0].name
    runs = [
        _run(tmp_path, "a", {page: 250}),
        _run(tmp_path, "b", {page: 900}),
        _run(tmp_path, "c", {page: 280}),
    ]
    rows, problems = median.combine(runs, 300)
    assert rows == [[f"GET {page}", "30", "93", "280", "250–900", "0", "ok"]]
    assert problems == []
    slow = [_run(tmp_path, "d", {page: 320}), _run(tmp_path, "e", {page: 310}), runs[0]]
    assert median.combine(slow, 300)[1] == [f"{page}: median p95 310 ms >= 300 ms"]
    failing = [_run(tmp_path, "f", {page: 100}, errors=1), runs[0]]
    assert median.combine(failing, 300)[1] == [f"{page}: 1 failed requests in 2 runs"]
