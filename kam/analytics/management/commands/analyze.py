import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.analytics import services
from kam.analytics.cli import write_csv, write_table
from kam.analytics.models import AnalysisConfig, SnapshotStatus
from kam.clients.models import Client


class Command(BaseCommand):
    help = "Run the key-account analysis on the ledger in the database and store it as a snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to", dest="period_end", help="last month, YYYY-MM (default: last month in the ledger)"
        )
        parser.add_argument("--format", choices=["table", "csv", "json", "none"], default="table")
        parser.add_argument("--limit", type=int, default=50, help="rows of the table (default 50)")
        parser.add_argument("--dry-run", action="store_true", help="compute and print; store no snapshot")

    def handle(self, *args: Any, **options: Any) -> None:
        period_end = None
        if options["period_end"]:
            try:
                period_end = date.fromisoformat(options["period_end"] + "-01")
            except ValueError:
                raise CommandError("--to must be YYYY-MM, e.g. 2026-10") from None
        config = AnalysisConfig.current()
        period = services.resolve_period(config, period_end)
        if period is None:
            raise CommandError(
                "The sales ledger is empty: import sales lines first (manage.py import_ledger FILE)."
            )
        result = services.calculate(config, period)
        if not options["dry_run"]:
            snapshot = services.analysis_run(actor=None, period_end=period.end, result=result)
            if snapshot.status != SnapshotStatus.DONE:
                raise CommandError(f"analysis failed: {snapshot.error}")
            self.stderr.write(
                f"snapshot {snapshot.pk} stored: {snapshot.clients_count} clients, {snapshot.key_count} key"
            )
        names = dict(Client.objects.values_list("pk", "short_name"))
        for row in result.clients:
            row.client_label = names.get(row.client_id)
        if options["format"] == "json":
            self.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, default=str))
        elif options["format"] == "csv":
            write_csv(result, self.stdout)  # type: ignore[arg-type]
        elif options["format"] == "table":
            write_table(result, self.stdout, limit=options["limit"])  # type: ignore[arg-type]
