"""Load test of kam's main pages and API: realistic users per role (run by scripts/loadtest.sh).

    KAM_LOADTEST_FIXTURE=var/loadtest/fixture.json locust -f benchmarks/loadtest/locustfile.py \\
        --headless -u 50 -r 10 --run-time 60s --host http://127.0.0.1:PORT

Users (weights): KAM 6, API client 2, head 2, director 1. Every demo login of the fixture logs in once
through the login form (CSRF token from the form's cookie) in warmup.py, before the measured run, which
hands the session cookies over in KAM_LOADTEST_SESSIONS (without it, the first user of a login logs in
here); the simulated users of a role take the logins in turn and reuse that session (with 12 KAMs, four
or so users share one, like one person with several tabs). Each API user sends a bearer token made for it by prepare.py. Every request asks only for clients that user
may see, so any 4xx/5xx is counted as an error. The pages and their weights are in loadtest_endpoints.py.

KAM_LOADTEST_WAIT="1,3": think time between a user's requests, seconds (min,max).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from locust import HttpUser, between, task
from locust.clients import HttpSession

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadtest_endpoints as ep

FIXTURE_PATH = os.environ.get("KAM_LOADTEST_FIXTURE", "")
_WAIT = [float(x) for x in os.environ.get("KAM_LOADTEST_WAIT", "1,3").split(",")]
_lock = threading.Lock()
_counters: dict[str, itertools.count[int]] = {}


def _fixture() -> dict[str, Any]:
    if not FIXTURE_PATH:
        raise RuntimeError("set KAM_LOADTEST_FIXTURE to the JSON written by benchmarks/loadtest/prepare.py")
    return json.loads(Path(FIXTURE_PATH).read_text(encoding="utf-8"))


_data: dict[str, Any] | None = None


def data() -> dict[str, Any]:
    global _data
    if _data is None:
        _data = _fixture()
    return _data


def next_account(role: str) -> dict[str, Any]:
    """Logins of a role handed out in turn, so 50 users spread over as many demo logins as there are."""
    accounts = data()["api"] if role == "api" else data()["roles"][role]
    if not accounts:
        raise RuntimeError(f"the fixture has no {role} logins")
    with _lock:
        counter = _counters.setdefault(role, itertools.count())
        return dict(accounts[next(counter) % len(accounts)])


_sessions: dict[str, dict[str, str]] = {}  # login -> cookies of its session


def login(session: HttpSession, host: str, login_name: str) -> dict[str, str]:
    """Log in through the form (GET for the CSRF cookie, POST with the token); the session's cookies."""
    session.get(ep.LOGIN.path, name="login form")
    with session.post(
        ep.LOGIN.path,
        data={
            "username": login_name,
            "password": data()["password"],
            "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
        },
        headers={"Referer": host + ep.LOGIN.path},
        name=ep.LOGIN.name,
        catch_response=True,
        allow_redirects=False,
    ) as response:
        if response.status_code != 302 or "/login" in response.headers.get("Location", "/login"):
            response.failure(f"login as {login_name} failed ({response.status_code})")
            return {}
    return dict(session.cookies.get_dict())


_login_lock = threading.Lock()


def session_cookies(client: HttpSession, host: str, login_name: str) -> dict[str, str]:
    """The session of a demo login: from warmup.py (KAM_LOADTEST_SESSIONS), else logged in here once."""
    global _sessions_loaded
    with _login_lock:
        if not _sessions_loaded:
            path = os.environ.get("KAM_LOADTEST_SESSIONS", "")
            if path and Path(path).exists():
                _sessions.update(json.loads(Path(path).read_text(encoding="utf-8")))
            _sessions_loaded = True
        if login_name not in _sessions:
            _sessions[login_name] = login(client, host, login_name)
        return _sessions[login_name]


_sessions_loaded = False


def search_fragment(name: str) -> str:
    """A word of a client's name, as a user would type it (at least 3 letters)."""
    words = [w.strip("«»\"'().,") for w in name.split()]
    words = [w for w in words if len(w) >= 3] or [name[:3]]
    word = random.choice(words)
    return quote(word[: random.randint(3, max(3, min(8, len(word))))])


class KamUser(HttpUser):
    """A browser user of one role; subclasses set `role`."""

    abstract = True
    role = "kam"
    wait_time = between(_WAIT[0], _WAIT[-1])

    def on_start(self) -> None:
        self.account = next_account(self.role)
        self.clients = self.account["clients"] or [{"id": 0, "name": "x"}]
        self.endpoints = ep.ROLES[self.role]
        self.weights = [e.weight for e in self.endpoints]
        if self.role != "api":
            self.client.cookies.update(session_cookies(self.client, self.host or "", self.account["login"]))

    def url(self, endpoint: ep.Endpoint) -> str:
        client = random.choice(self.clients)
        return ep.fill(
            endpoint,
            client=int(client["id"]),
            tab=random.choice(ep.DOSSIER_TABS),
            q=search_fragment(str(client["name"])),
        )

    @task
    def browse(self) -> None:
        endpoint = random.choices(self.endpoints, weights=self.weights)[0]
        headers = {"Authorization": f"Bearer {self.account['token']}"} if endpoint.api else {}
        with self.client.get(
            self.url(endpoint),
            name=endpoint.name,
            headers=headers,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 200:
                error = f": {response.error!r}"[:200] if response.error else ""
                response.failure(f"HTTP {response.status_code}{error}")


class Kam(KamUser):
    role = "kam"
    weight = 6


class ApiClient(KamUser):
    role = "api"
    weight = 2


class Head(KamUser):
    role = "head"
    weight = 2


class Director(KamUser):
    role = "director"
    weight = 1
