"""One request at a time: what each load-test page costs on its own (wall time, CPU time, SQL queries).

    DATABASE_URL=... python benchmarks/loadtest/profile_pages.py FIXTURE.json [--repeat 5] [--markdown OUT.md]

Uses Django's test client in this process (force_login: no password hashing) on the users and clients of
the load test's fixture (benchmarks/loadtest/prepare.py). CPU time is this process's: on a shared machine
it shows what a page costs regardless of the other processes (on PostgreSQL the database's own work is in
its server process, so it is in the wall time only). The slowest SQL statement of each page is shown.
"Python calls" counts the function calls of one request (cProfile): it does not move with the machine's
load, so it compares two versions of the code where times cannot.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadtest_endpoints as ep  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("fixture")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--markdown", default="")
    parser.add_argument("--only", default="", help="profile only the endpoints whose name contains this")
    parser.add_argument(
        "--dump", default="", help="a folder: each page's cProfile stats, for pstats/snakeviz"
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="a dummy cache: what every request costs without kam.core.cache",
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    if args.no_cache:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kam.access.models import User

    fixture = json.loads(Path(args.fixture).read_text(encoding="utf-8"))
    rows: list[list[str]] = []
    for role, endpoints in ep.ROLES.items():
        account = fixture["api"][0] if role == "api" else fixture["roles"][role][0]
        browser = Client()
        headers: dict[str, str] = {}
        if role == "api":
            headers = {"Authorization": f"Bearer {account['token']}"}
        else:
            browser.force_login(User.objects.get(username=account["login"]))
        clients = account["clients"]
        seen: set[str] = set()
        for endpoint in endpoints:
            if endpoint.path in seen or args.only not in endpoint.name:
                continue
            seen.add(endpoint.path)
            walls, cpus, counts = [], [], []
            slowest = (0.0, "")
            for turn in range(args.repeat + 1):
                client = clients[turn % len(clients)]
                tab = ep.DOSSIER_TABS[turn % len(ep.DOSSIER_TABS)]
                url = ep.fill(endpoint, client=int(client["id"]), tab=tab, q=str(client["name"])[:4])
                with CaptureQueriesContext(connection) as queries:
                    wall, cpu = time.perf_counter(), time.process_time()
                    response = browser.get(url, headers=headers)
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if response.status_code != 200:
                    print(f"{role} {url}: HTTP {response.status_code}", file=sys.stderr)
                if turn == 0:
                    continue  # the first one warms caches up
                walls.append(wall * 1000)
                cpus.append(cpu * 1000)
                counts.append(len(queries.captured_queries))
                for query in queries.captured_queries:
                    if float(query["time"]) * 1000 > slowest[0]:
                        slowest = (float(query["time"]) * 1000, query["sql"])
            # Python function calls of one more request: unlike times, the same on a busy machine as on
            # an idle one, so two versions of the code compare on a shared machine.
            profile = cProfile.Profile()
            profile.enable()
            browser.get(url, headers=headers)
            profile.disable()
            if args.dump:
                Path(args.dump).mkdir(parents=True, exist_ok=True)
                slug = "".join(c if c.isalnum() else "_" for c in f"{role}_{endpoint.name}").strip("_")
                profile.dump_stats(str(Path(args.dump) / f"{slug}.prof"))
            row = [
                f"{role}: {endpoint.name}",
                f"{statistics.median(walls):.0f}",
                f"{max(walls):.0f}",
                f"{statistics.median(cpus):.0f}",
                f"{pstats.Stats(profile).total_calls:,}",  # type: ignore[attr-defined]
                f"{min(counts)}–{max(counts)}",
                f"{slowest[0]:.0f} ms: {' '.join(slowest[1].split())[:110]}",
            ]
            rows.append(row)
            print(" | ".join(row), flush=True)
    if args.markdown:
        header = [
            "endpoint",
            "wall p50 ms",
            "wall max ms",
            "CPU p50 ms",
            "Python calls",
            "queries",
            "slowest query",
        ]
        lines = ["| " + " | ".join(header) + " |", "|---|---:|---:|---:|---:|---:|---|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        Path(args.markdown).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
