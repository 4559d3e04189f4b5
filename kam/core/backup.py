"""Backups of the whole database, and restoring one: pg_dump/pg_restore (custom format) on PostgreSQL,
SQLite's online backup API on SQLite. Both are consistent while kam keeps running.

`manage.py backup` and `manage.py restore` are the thin command-line faces; docs/operators/backups.md
tells operators how to schedule them. `fingerprint()` is what the round-trip tests compare.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connections

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    path: Path
    engine: str  # "postgresql" or "sqlite"
    size: int


def engine_of(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"backups support PostgreSQL and SQLite, not {vendor}")
    return vendor


def default_path(alias: str = "default", directory: str | Path | None = None) -> Path:
    folder = Path(
        directory or os.environ.get("KAM_BACKUP_DIR") or Path(settings.BASE_DIR) / "var" / "backups"
    )
    suffix = ".dump" if engine_of(alias) == "postgresql" else ".sqlite3"
    return folder / f"kam-{datetime.now().strftime('%Y%m%d-%H%M%S')}{suffix}"


def _pg_env_and_args(alias: str) -> tuple[dict[str, str], list[str]]:
    db = connections[alias].settings_dict
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, args


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: apt-get install postgresql-client (same major version)")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")


def backup(path: str | Path | None = None, *, alias: str = "default") -> Backup:
    """Write a consistent copy of the whole database to `path` (a new file; its folder is created)."""
    engine = engine_of(alias)
    target = Path(path) if path else default_path(alias)
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        if engine == "postgresql":
            env, args = _pg_env_and_args(alias)
            _run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    *args,
                    "--file",
                    str(partial),
                ],
                env,
            )
        else:
            connection = connections[alias]
            connection.ensure_connection()
            destination = sqlite3.connect(partial)
            try:
                connection.connection.backup(destination)
            finally:
                destination.close()
        partial.replace(target)  # a finished backup appears whole, or not at all
    finally:
        partial.unlink(missing_ok=True)
    return Backup(target, engine, target.stat().st_size)


def check_file(path: str | Path, *, alias: str = "default") -> Backup:
    """The backup file exists and is of the kind this database restores from."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    engine = engine_of(alias)
    with source.open("rb") as handle:
        head = handle.read(16)
    if engine == "postgresql" and not head.startswith(PG_MAGIC):
        raise BackupError(f"{source} is not a PostgreSQL custom-format dump (made by manage.py backup)")
    if engine == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not an SQLite database (made by manage.py backup)")
        check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            check.close()
        if verdict != "ok":
            raise BackupError(f"{source} is damaged: {verdict}")
    return Backup(source, engine, source.stat().st_size)


def restore(path: str | Path, *, alias: str = "default") -> Backup:
    """Replace every table of the database with the backup's. Stop kam's web and worker processes first."""
    found = check_file(path, alias=alias)
    connection = connections[alias]
    if found.engine == "postgresql":
        connection.close()  # our own session must not hold locks on the tables being replaced
        env, args = _pg_env_and_args(alias)
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                *args,
                str(found.path),
            ],
            env,
        )
    else:
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{found.path}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)  # page by page, under the database's write lock
        finally:
            source.close()
        connection.close()
    return found


def tables(alias: str = "default") -> list[str]:
    with connections[alias].cursor() as cursor:
        return sorted(connections[alias].introspection.table_names(cursor))


def fingerprint(alias: str = "default") -> dict[str, tuple[int, str]]:
    """Every table: its row count and a SHA-256 of its rows in order (all columns, sorted)."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    out: dict[str, tuple[int, str]] = {}
    with connection.cursor() as cursor:
        for table in tables(alias):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            order = ", ".join(qn(c) for c in columns)
            cursor.execute(f"SELECT {order} FROM {qn(table)} ORDER BY {order}")
            digest = hashlib.sha256()
            count = 0
            for row in cursor.fetchall():
                digest.update(repr(tuple(str(v) for v in row)).encode())
                count += 1
            out[table] = (count, digest.hexdigest())
    return out
