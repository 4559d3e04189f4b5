"""Faults during an import: the process killed, or its database connection cut, leaves the ledger as it was.

PostgreSQL only (production's database): the import runs as a real `manage.py import_ledger` process
against the test database; the test watches pg_stat_activity until that process is writing ledger rows,
then kills it (SIGKILL) or terminates its server backend (what a database restart does to it), checks that
no ledger row is left behind, and imports the same file again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from kam.core.testing import INNS, make_company

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="faults are proven on PostgreSQL (DATABASE_URL=postgres://…)",
    ),
]

APP_NAME = "kam_fault_test"
ROWS = 100_000
HEADER = "Дата;Документ;Номер строки;Контрагент;ИНН;Менеджер;Номенклатура;Количество;Выручка;Себестоимость"


def ledger_file(path: Path, rows: int = ROWS) -> Path:
    lines = [HEADER]
    for i in range(rows):
        day = 1 + i % 28
        month = 1 + (i // 28) % 12
        lines.append(
            f'{day:02d}.{month:02d}.2024 0:00:00;ТД00-{i // 5:06d};{i % 5 + 1};ООО "Ромашка";{INNS[0]};'
            f"Test Alice;Товар {i % 97};{1 + i % 9};{100 + i % 1000},50;{60 + i % 500},25"
        )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return path


def ledger_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM ledger_salesline), (SELECT COUNT(*) FROM ledger_monthly), "
            "(SELECT COALESCE(SUM(revenue), 0) FROM ledger_salesline)"
        )
        lines, monthly, revenue = cursor.fetchone()
    return {"lines": lines, "monthly": monthly, "revenue": int(revenue)}


def database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}?application_name={APP_NAME}"


def start_import(path: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DATABASE_URL"] = database_url()
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_ledger", str(path)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def writing_backend(process: subprocess.Popen, timeout: float = 120) -> int:
    """The import's server process id, once it is writing ledger rows (COPY or INSERT into ledger_*)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the import ended before it was caught writing:\n{out}\n{err}")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND xact_start IS NOT NULL "
                "AND (query ILIKE 'COPY %%ledger%%' OR query ILIKE 'INSERT INTO %%ledger%%' "
                "OR query ILIKE 'INSERT INTO \"ledger%%')",
                [APP_NAME],
            )
            row = cursor.fetchone()
        if row:
            return row[0]
        time.sleep(0.01)
    process.kill()
    pytest.fail("the import never started writing within the time limit")


def wait_gone(timeout: float = 30) -> None:
    """PostgreSQL rolls back a dead client's transaction; wait until its backend has gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.05)
    pytest.fail("the killed import's database session did not end")


def rerun_succeeds(path: Path) -> dict[str, int]:
    process = start_import(path)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, out + err
    assert f"{ROWS} imported" in out, out
    return ledger_counts()


@pytest.fixture
def pg(transactional_db):
    make_company()
    yield
    with connection.cursor() as cursor:  # never leave an import running behind
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
        )


def test_an_import_killed_midway_leaves_the_ledger_as_it_was_and_can_be_rerun(pg, tmp_path):
    path = ledger_file(tmp_path / "sales.csv")
    before = ledger_counts()
    process = start_import(path)
    writing_backend(process)
    time.sleep(0.2)  # well into the write
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    wait_gone()
    assert ledger_counts() == before
    from kam.ledger.models import ImportBatch, ImportStatus

    # The killed run's batch never reached "imported" (it shows as stalled on the imports page).
    assert not ImportBatch.objects.filter(status=ImportStatus.IMPORTED).exists()
    after = rerun_succeeds(path)
    assert after["lines"] == before["lines"] + ROWS


def test_a_database_connection_lost_midway_leaves_the_ledger_as_it_was(pg, tmp_path):
    """What a database restart does to a running import: its session ends and its transaction is rolled
    back. (The server itself is not restarted here: it is shared by other test runs.)"""
    path = ledger_file(tmp_path / "sales.csv")
    before = ledger_counts()
    process = start_import(path)
    backend = writing_backend(process)
    time.sleep(0.2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    out, err = process.communicate(timeout=120)
    assert process.returncode != 0, out + err  # it fails, loudly
    wait_gone()
    assert ledger_counts() == before
    after = rerun_succeeds(path)
    assert after["lines"] == before["lines"] + ROWS
