"""manage.py backup and restore: a round trip gives back every table, row for row (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from kam.clients.models import Client
from kam.core import backup
from kam.core.testing import make_company

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def data(transactional_db):
    """The personas: users, departments, clients (money, dates, JSON) and a stakeholder."""
    return make_company()


def test_a_round_trip_gives_back_every_table(data, tmp_path):
    before = backup.fingerprint()
    assert before["clients_client"][0] == 3
    out = run("backup", str(tmp_path / "kam.bak"))
    assert "Backed up" in out and (tmp_path / "kam.bak").stat().st_size > 0
    # Change things after the backup: delete, add, update.
    Client.objects.filter(pk=data.bob_client.pk).delete()
    data.alice_client.credit_limit = Decimal("1.00")
    data.alice_client.save()
    from kam.core.testing import INNS, make_client

    make_client(data.carol, INNS[3], "Extra")
    assert backup.fingerprint() != before
    out = run("restore", str(tmp_path / "kam.bak"), "--yes")
    assert "Restored" in out
    after = backup.fingerprint()
    assert set(after) == set(before)
    differing = [t for t in before if before[t] != after[t]]
    assert not differing, differing
    # The restored database works: the ORM reads and writes it.
    assert Client.objects.get(pk=data.bob_client.pk).short_name == "Vasilek"
    make_client(data.carol, INNS[4], "After restore")


def test_backup_names_a_dated_file_and_keeps_the_newest(data, tmp_path):
    for _ in range(3):
        run("backup", "--dir", str(tmp_path), "--keep", "2")
        import time

        time.sleep(1.05)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 2 and all(name.startswith("kam-") for name in files)


def test_backup_refuses_to_overwrite(data, tmp_path):
    target = tmp_path / "kam.bak"
    target.write_text("precious")
    with pytest.raises(CommandError, match="already exists"):
        run("backup", str(target))
    assert target.read_text() == "precious"


def test_restore_asks_for_confirmation(data, tmp_path, monkeypatch):
    run("backup", str(tmp_path / "kam.bak"))
    Client.objects.filter(pk=data.bob_client.pk).delete()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        run("restore", str(tmp_path / "kam.bak"))
    assert not Client.objects.filter(pk=data.bob_client.pk).exists()  # unchanged


def test_restore_without_a_terminal_needs_yes(data, tmp_path, monkeypatch):
    run("backup", str(tmp_path / "kam.bak"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="--yes"):
        run("restore", str(tmp_path / "kam.bak"))


def test_clear_errors_for_missing_or_wrong_files(data, tmp_path):
    with pytest.raises(CommandError, match="no backup file at"):
        run("restore", str(tmp_path / "missing.bak"), "--yes")
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"this is not a backup at all")
    with pytest.raises(CommandError, match="not a"):
        run("restore", str(junk), "--yes")
    assert Client.objects.count() == 3
