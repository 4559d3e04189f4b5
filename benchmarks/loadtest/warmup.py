"""Warm the gunicorn workers up before the measured run (imports, URL resolver, template cache).

    python benchmarks/loadtest/warmup.py http://127.0.0.1:PORT FIXTURE.json --sessions S.json [--rounds 6]

Logs every demo login of the fixture in once through the login form (CSRF token from the cookie, as a
browser), prints the login times and writes the session cookies for locustfile.py: the simulated users
reuse them, so the rate limit and the lock-out see one login per demo login, and the measured minute is
spent on pages, not on password hashing. Then every login opens each page of its role once (the figures
cached per user or scope are computed), and every page of each role is opened `rounds` times more
(gunicorn hands the requests to its workers, so each worker sees most pages). Pages bounded by --budget seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadtest_endpoints as ep


def login(host: str, login_name: str, password: str) -> tuple[requests.Session | None, float]:
    """The login form, as a browser: GET (CSRF cookie), POST with the token; the session and the POST's time."""
    session = requests.Session()
    session.get(host + ep.LOGIN.path, timeout=120)
    started = time.perf_counter()
    response = session.post(
        host + ep.LOGIN.path,
        data={
            "username": login_name,
            "password": password,
            "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
        },
        headers={"Referer": host + ep.LOGIN.path},
        timeout=120,
        allow_redirects=False,
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 302 or "/login" in response.headers.get("Location", "/login"):
        print(f"warm-up: login as {login_name} failed (HTTP {response.status_code})", file=sys.stderr)
        return None, elapsed
    return session, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("host")
    parser.add_argument("fixture")
    parser.add_argument("--sessions", default="", help="write {login: cookies} here for locustfile.py")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--budget", type=float, default=180.0)
    args = parser.parse_args()
    fixture = json.loads(Path(args.fixture).read_text(encoding="utf-8"))

    # Every demo login of the fixture logs in once; locust's users reuse these sessions.
    accounts = [(role, a) for role in ("kam", "head", "director") for a in fixture["roles"].get(role, [])]
    with ThreadPoolExecutor(max_workers=4) as pool:
        logged = list(pool.map(lambda ra: login(args.host, ra[1]["login"], fixture["password"]), accounts))
    cookies = {
        a["login"]: s.cookies.get_dict() for (_r, a), (s, _t) in zip(accounts, logged, strict=True) if s
    }
    times = sorted(t * 1000 for _s, t in logged)
    if times:
        print(
            f"logins: {len(cookies)} of {len(accounts)} through the form; POST /login/ p50 "
            f"{statistics.median(times):.0f} ms, max {times[-1]:.0f} ms (4 at a time)"
        )
    if args.sessions:
        Path(args.sessions).write_text(json.dumps(cookies), encoding="utf-8")
    if len(cookies) < len(accounts):
        return 1

    deadline = time.monotonic() + args.budget
    done = failed = 0

    # Every login opens each page of its role once, 4 at a time: the figures cached per user or per
    # scope (a head's department, a KAM's plan) are computed before the measured run, as they would
    # be in a working day long since begun. With the shared cache (Redis) every worker then has them.
    def first_visit(item: tuple[str, dict, requests.Session]) -> list[str]:
        role, account, session = item
        problems = []
        for endpoint in ep.ROLES[role]:
            if time.monotonic() > deadline:
                break
            clients = account["clients"] or [{"id": 0, "name": "abc"}]
            url = ep.fill(
                endpoint, client=int(clients[0]["id"]), tab=ep.DOSSIER_TABS[0], q=clients[0]["name"][:4]
            )
            response = session.get(args.host + url, timeout=120, allow_redirects=False)
            if response.status_code != 200:
                problems.append(f"warm-up: {role} {url} -> HTTP {response.status_code}")
        return problems

    visits = [(role, a, s) for (role, a), (s, _t) in zip(accounts, logged, strict=True) if s is not None]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for problems in pool.map(first_visit, visits):
            failed += len(problems)
            for problem in problems:
                print(problem)
    done += sum(len(ep.ROLES[role]) for role, _a, _s in visits)
    sessions: dict[str, tuple[requests.Session, dict]] = {}
    for (role, account), (session, _t) in zip(accounts, logged, strict=True):
        if role not in sessions and session is not None:
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
                response = session.get(args.host + url, timeout=120, allow_redirects=False)
                done += 1
                if response.status_code != 200:
                    failed += 1
                    print(f"warm-up: {role} {url} -> HTTP {response.status_code}")
    print(f"warm-up: {done} requests, {failed} not 200")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
