"""manage.py import_ledger FILE [--map ...] [--take-good-rows] [--create-unknown-clients --owner LOGIN]"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.access.models import User
from kam.ledger import importing, services
from kam.ledger.models import ImportBatch, ImportStatus


class Command(BaseCommand):
    help = "Import a sales ledger file (CSV or XLSX, 1C exports included) into the ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV or XLSX file")
        parser.add_argument(
            "--map",
            default="",
            help="columns for fields, e.g. date=Дата,client_inn=ИНН,revenue=Сумма "
            f"(fields: {', '.join(importing.FIELD_NAMES)})",
        )
        parser.add_argument("--take-good-rows", action="store_true", help="import good rows, list bad ones")
        parser.add_argument(
            "--create-unknown-clients", action="store_true", help="create clients not in kam as prospects"
        )
        parser.add_argument("--owner", default="", help="login of the KAM who owns new prospects")
        parser.add_argument(
            "--fallback-unknown-managers",
            action="store_true",
            help="lines with a manager or department not in kam go to the client's KAM and department",
        )
        parser.add_argument(
            "--encoding", default="", help="file encoding (default: detect UTF-8 / Windows-1251)"
        )
        parser.add_argument("--delimiter", default="", help="CSV separator (default: detect)")
        parser.add_argument("--user", default="", help="login recorded as the importer in the audit log")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            mapping = importing.parse_mapping_option(opts["map"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        owner = self._user(opts["owner"], "--owner") if opts["owner"] else None
        user = self._user(opts["user"], "--user") if opts["user"] else None
        try:
            options = services.ImportOptions(
                take_good_rows=opts["take_good_rows"],
                unknown_clients="create" if opts["create_unknown_clients"] else "error",
                unknown_refs="fallback" if opts["fallback_unknown_managers"] else "error",
                owner_id=owner.pk if owner else None,
                encoding=opts["encoding"] or None,
                delimiter=opts["delimiter"] or None,
                mapping=dict(mapping),
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        try:
            batch = services.import_ledger_file(
                path=opts["file"], options=options, user=user, echo=self._echo
            )
        except OSError as error:
            raise CommandError(str(error)) from None
        self._report(batch)

    def _user(self, login: str, option: str) -> User:
        user = User.objects.filter(username=login).first()
        if user is None:
            raise CommandError(f"{option}: no user with login {login!r}")
        return user

    def _echo(self, batch: ImportBatch) -> None:
        if batch.is_active:
            self.stderr.write(
                f"  {batch.phase_label or batch.get_status_display()}: "
                f"{batch.progress_rows:,} rows, {batch.progress_pct} %"
            )

    def _report(self, batch: ImportBatch) -> None:
        for row, column, reason in batch.errors:
            self.stdout.write(str(importing.RowError(row, column, reason)))
        if batch.errors_total > len(batch.errors):
            self.stdout.write(f"… and {batch.errors_total - len(batch.errors)} more errors")
        summary = (
            f"{batch.get_status_display()}: {batch.rows_total} rows, {batch.rows_ok} imported, "
            f"{batch.rows_skipped} already imported, {batch.rows_bad} bad, "
            f"{batch.clients_created} new prospects (import #{batch.pk})"
        )
        if batch.status in (ImportStatus.IMPORTED, ImportStatus.PARTIAL):
            self.stdout.write(self.style.SUCCESS(summary))
            return
        raise CommandError(f"{batch.message}\n{summary}" if batch.message else summary, returncode=1)
