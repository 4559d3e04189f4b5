"""manage.py restore FILE [--yes]: replace the whole database with a backup made by manage.py backup."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from kam.core import backup


class Command(BaseCommand):
    help = (
        "Replace every table of the database with a backup made by `manage.py backup`. "
        "Stop kam's web and background processes first. Asks for confirmation unless --yes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file (.dump for PostgreSQL, .sqlite3 for SQLite)")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **opts: Any) -> None:
        alias = opts["database"]
        try:
            found = backup.check_file(opts["file"], alias=alias)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        name = connections[alias].settings_dict["NAME"]
        if not opts["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("restore replaces the whole database: confirm with --yes")
            answer = input(
                f"This replaces EVERY table of database {name} ({found.engine}) with {found.path}.\n"
                "Type 'yes' to continue: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled; the database is unchanged.")
        try:
            backup.restore(found.path, alias=alias)
        except backup.BackupError as error:
            raise CommandError(
                f"{error}\nThe database is unchanged (the restore runs in one transaction)."
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Restored {name} from {found.path}"))
        self.stdout.write(
            "Next: manage.py migrate (if the backup is older than this version of kam), then start kam."
        )
