"""manage.py backup [FILE] [--dir DIR] [--keep N]: a consistent copy of the whole database."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.core import backup


class Command(BaseCommand):
    help = (
        "Back up the whole database while kam runs: pg_dump (custom format) on PostgreSQL, "
        "SQLite's online backup on SQLite. Default file: $KAM_BACKUP_DIR/kam-YYYYMMDD-HHMMSS.dump|.sqlite3"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="", help="where to write the backup (a new file)")
        parser.add_argument(
            "--dir", default="", help="folder for a dated file name (default: KAM_BACKUP_DIR)"
        )
        parser.add_argument(
            "--keep", type=int, default=0, help="after backing up, keep only the newest N kam-* backups there"
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            path = (
                Path(opts["file"])
                if opts["file"]
                else backup.default_path(opts["database"], opts["dir"] or None)
            )
            made = backup.backup(path, alias=opts["database"])
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Backed up ({made.engine}, {made.size:,} bytes): {made.path}"))
        if opts["keep"] > 0:
            olds = sorted(made.path.parent.glob(f"kam-*{made.path.suffix}"), key=lambda p: p.name)[
                : -opts["keep"]
            ]
            for old in olds:
                old.unlink()
                self.stdout.write(f"Removed old backup {old}")
