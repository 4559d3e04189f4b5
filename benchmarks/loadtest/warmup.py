"""Warm the gunicorn workers up before the measured run (imports, URL resolver, template cache).

    python benchmarks/loadtest/warmup.py http://127.0.0.1:PORT FIXTURE.json [--rounds 6] [--budget 180]

Logs in once per role and opens every page of that role `rounds` times (gunicorn hands the requests to
its workers, so each worker sees most pages). Bounded by --budget seconds. Not measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadtest_endpoints as ep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("host")
    parser.add_argument("fixture")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--budget", type=float, default=180.0)
    args = parser.parse_args()
    fixture = json.loads(Path(args.fixture).read_text(encoding="utf-8"))
    deadline = time.monotonic() + args.budget
    done = failed = 0
    sessions: dict[str, tuple[requests.Session, dict]] = {}
    for role in ("kam", "head", "director"):
        if not fixture["roles"].get(role):
            continue
        account = fixture["roles"][role][0]
        session = requests.Session()
        session.get(args.host + ep.LOGIN.path, timeout=60)
        session.post(
            args.host + ep.LOGIN.path,
            data={
                "username": account["login"],
                "password": fixture["password"],
                "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
                "next": "/",
            },
            headers={"Referer": args.host + ep.LOGIN.path},
            timeout=60,
        )
        sessions[role] = (session, account)
    if fixture.get("api"):
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {fixture['api'][0]['token']}"
        sessions["api"] = (api, fixture["api"][0])
    for turn in range(args.rounds):
        for role, (session, account) in sessions.items():
            for endpoint in ep.ROLES[role]:
                if time.monotonic() > deadline:
                    print(f"warm-up: budget of {args.budget:.0f} s spent after {done} requests")
                    return 0
                clients = account["clients"] or [{"id": 0, "name": "abc"}]
                client = clients[turn % len(clients)]
                tab = ep.DOSSIER_TABS[turn % len(ep.DOSSIER_TABS)]
                url = ep.fill(endpoint, client=int(client["id"]), tab=tab, q=str(client["name"])[:4])
                response = session.get(args.host + url, timeout=60, allow_redirects=False)
                done += 1
                if response.status_code != 200:
                    failed += 1
                    print(f"warm-up: {role} {url} -> HTTP {response.status_code}")
    print(f"warm-up: {done} requests, {failed} not 200")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
