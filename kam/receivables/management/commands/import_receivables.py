"""manage.py import_receivables invoices|payments FILE --user LOGIN [--take-good-rows]"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.access import policy
from kam.access.models import User
from kam.receivables import importing


class Command(BaseCommand):
    help = "Import invoices or payments (CSV or XLSX, 1C exports included); idempotent by external id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(importing.FIELDS))
        parser.add_argument("file", help="CSV or XLSX file")
        parser.add_argument("--user", required=True, help="login of the finance user or director importing")
        parser.add_argument("--take-good-rows", action="store_true", help="import good rows, list bad ones")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["user"]).first()
        if user is None or not policy.can(user, "receivables.import"):
            raise CommandError(f"{opts['user']} may not import receivables (finance or director only).")
        try:
            handle = open(opts["file"], "rb")  # noqa: SIM115 — closed below
        except OSError as error:
            raise CommandError(str(error)) from None
        with handle:
            result = importing.import_file(
                handle,
                kind=opts["kind"],
                actor=user,
                take_good_rows=opts["take_good_rows"],
                name=opts["file"],
            )
        for problem in result.errors:
            self.stderr.write(str(problem))
        self.stdout.write(
            f"rows {result.rows}, imported {result.created}, already there {result.skipped}, "
            f"errors {len(result.errors)}"
        )
        if result.errors and not result.written:
            raise CommandError("Nothing was imported.")
