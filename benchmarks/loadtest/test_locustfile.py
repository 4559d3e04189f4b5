"""The load test's pages and API calls still exist: a rename breaks this fast test, not the next load test.

The endpoints are checked in this process (Django's resolver); the locustfile itself is imported in a
subprocess, because importing locust monkey-patches the process with gevent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import resolve

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import loadtest_endpoints as ep  # noqa: E402

ENDPOINTS = ep.all_endpoints()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_every_load_test_path_resolves_to_the_view_it_names(endpoint: ep.Endpoint) -> None:
    path = ep.fill(endpoint, client=12345, tab="financials", q="Строй").split("?")[0]
    assert resolve(path).view_name == endpoint.view


def test_the_dossier_tabs_the_load_test_opens_exist() -> None:
    from kam.clients import dossier

    assert set(ep.DOSSIER_TABS) <= set(dossier.TABS), set(ep.DOSSIER_TABS) - set(dossier.TABS)


def test_every_role_has_weighted_tasks_and_api_tasks_use_tokens() -> None:
    assert set(ep.ROLES) == {"kam", "head", "director", "api"}
    for role, endpoints in ep.ROLES.items():
        assert endpoints and all(e.weight > 0 for e in endpoints)
        assert all(e.api == (role == "api") for e in endpoints), role


def test_the_locustfile_imports_and_uses_these_endpoints(tmp_path: Path) -> None:
    if importlib.util.find_spec("locust") is None:  # not imported here: see the module docstring
        pytest.skip("locust is not installed (requirements-dev.txt)")
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import locustfile as lf; "
        "users = [c for c in vars(lf).values() if isinstance(c, type) and issubclass(c, lf.HttpUser) "
        "and not c.abstract]; "
        "print(json.dumps(sorted((u.role, u.weight) for u in users)))"
    )
    env = {**os.environ, "KAM_LOADTEST_FIXTURE": str(tmp_path / "unused.json")}
    done = subprocess.run(
        [sys.executable, "-c", script, str(HERE)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    roles = {role for role, _weight in json.loads(done.stdout.strip().splitlines()[-1])}
    assert roles == set(ep.ROLES)


def test_the_report_judges_p95_and_errors(tmp_path: Path) -> None:
    import report

    columns = "Type,Name,Request Count,Failure Count,50%,95%,99%,Requests/s"
    rows = [
        "GET,clients list,100,0,40,120,200,5.0",
        "POST,login (once per user),50,0,600,900,1200,1.0",
        ",Aggregated,150,0,50,400,900,6.0",
    ]
    prefix = tmp_path / "run"
    Path(f"{prefix}_stats.csv").write_text("\n".join([columns, *rows]) + "\n", encoding="utf-8")
    _rows, problems, passed = report.summarise(str(prefix), 300)
    assert problems == [
        f"{name}: not measured (no request in the run)"
        for name in sorted({e.name for es in ep.ROLES.values() for e in es} - {"clients list"})
    ]  # the login and the aggregate are not judged on time; every page must have been requested
    everything = [f"GET,{e.name},10,0,40,120,200,1.0" for es in ep.ROLES.values() for e in es]
    Path(f"{prefix}_stats.csv").write_text(
        "\n".join([columns, *everything, *rows[1:]]) + "\n", encoding="utf-8"
    )
    _rows, problems, passed = report.summarise(str(prefix), 300)
    assert passed, problems
    slow = rows[0].replace(",120,", ",350,")
    Path(f"{prefix}_stats.csv").write_text("\n".join([columns, slow, rows[1]]) + "\n", encoding="utf-8")
    _rows, problems, passed = report.summarise(str(prefix), 300)
    assert not passed and "clients list: p95 350 ms >= 300 ms" in problems
    failing = rows[1].replace(",50,0,", ",50,2,")
    Path(f"{prefix}_stats.csv").write_text("\n".join([columns, rows[0], failing]) + "\n", encoding="utf-8")
    _rows, problems, passed = report.summarise(str(prefix), 300)
    assert not passed and "login (once per user): 2 errors of 50" in problems
