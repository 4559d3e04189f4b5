import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from kam.core import demo


class Command(BaseCommand):
    help = (
        "Fill the database with a demo company: a Russian wholesale distributor of building materials "
        "with its people, clients, dossiers and sales ledger. "
        f"Every login's password is {demo.DEMO_PASSWORD}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=demo.DEFAULT_SEED, help="the same seed, the same company"
        )
        parser.add_argument(
            "--clients",
            type=int,
            default=demo.DEFAULT_CLIENTS,
            help=f"number of clients ({demo.DEFAULT_CLIENTS})",
        )
        parser.add_argument(
            "--lines",
            type=int,
            default=None,
            help=f"sales-ledger lines over 36 months (default {demo.LINES_PER_CLIENT} per client; 0: none)",
        )
        parser.add_argument(
            "--kams",
            type=int,
            default=demo.DEFAULT_KAMS,
            help=f"number of KAMs ({demo.DEFAULT_KAMS}; more adds kam13 … kamN, e.g. 200 for the load test)",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--if-empty", action="store_true", help="do nothing when the database has data")
        mode.add_argument(
            "--reset",
            action="store_true",
            help="delete the business data and the demo logins first (other users and settings stay)",
        )
        mode.add_argument("--print-logins", action="store_true", help="print the demo logins and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["print_logins"]:
            self.print_logins()
            return
        seed, clients = options["seed"], options["clients"]
        lines = options["lines"] if options["lines"] is not None else clients * demo.LINES_PER_CLIENT
        if clients < demo.MIN_CLIENTS:
            raise CommandError(f"--clients must be at least {demo.MIN_CLIENTS}")
        if lines < 0:
            raise CommandError("--lines must be 0 or more")
        if not demo.DEFAULT_KAMS <= options["kams"] <= demo.MAX_KAMS:
            raise CommandError(f"--kams must be between {demo.DEFAULT_KAMS} and {demo.MAX_KAMS}")
        if not options["reset"] and demo.has_business_data():
            if options["if_empty"]:
                self.stdout.write("database already has data: no demo written")
                return
            raise CommandError(
                "The database already has data (clients, departments or demo logins). "
                "Use --reset to replace the business data with the demo, or --if-empty to skip."
            )
        started = time.monotonic()
        plan = demo.plan_company(seed=seed, clients=clients, today=timezone.localdate(), kams=options["kams"])
        self.stdout.write(f"planned {clients} clients with seed {seed} in {time.monotonic() - started:.1f} s")
        with transaction.atomic():
            if options["reset"]:
                demo.delete_business_data(log=self.stdout.write)
            result = demo.write_company(plan, log=self.stdout.write)
        self.stdout.write(f"demo company written in {time.monotonic() - started:.1f} s")
        if lines:
            self.fill_ledger(lines=lines, seed=seed, weights=result.weights)
            self.fill_plans(seed=seed)
            self.refresh_statistics()
            self.run_analysis()
        self.stdout.write(self.style.SUCCESS(f"done in {time.monotonic() - started:.1f} s"))

    def refresh_statistics(self) -> None:
        # Fresh bulk-loaded tables have no planner statistics: without them PostgreSQL picks slow plans
        # (measured: the plans page 2.2 s before ANALYZE, 1.0 s after); SQLite's planner uses it too.
        # VACUUM also sets PostgreSQL's visibility map, without which counts cannot be answered from an
        # index alone (a count of 100,000 clients: 85 ms before, 11 ms after). It cannot run in a
        # transaction, so inside one (the tests) ANALYZE alone is done.
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")

    def fill_ledger(self, *, lines: int, seed: int, weights: dict[int, int]) -> None:
        # The ledger generator lives with the ledger; it runs after the company is committed.
        try:
            from kam.ledger.demo import fill_demo_ledger
        except ImportError:
            self.stdout.write("ledger: no generator in this version (kam.ledger.demo), no lines written")
            return
        try:
            fill_demo_ledger(lines=lines, months=36, seed=seed, weights=weights, stdout=self.stdout)
        except Exception as error:
            raise CommandError(
                f"The sales ledger could not be generated ({error}). The company itself is written; "
                "run `manage.py demo --reset` to try again."
            ) from error

    def fill_plans(self, *, seed: int) -> None:
        """Sales plans from last year's ledger plus growth, so the plan pages and cards have figures."""
        from kam.planning.demo import fill_demo_plans

        with transaction.atomic():
            fill_demo_plans(seed=seed, today=timezone.localdate(), log=self.stdout.write)

    def run_analysis(self) -> None:
        """Two analysis runs, a month apart, so the demo opens with key accounts and their movement."""
        from kam.analytics import services
        from kam.analytics.engine import add_months

        last = services.last_ledger_month()
        if last is None:
            return
        for period_end in (add_months(last, -1), last):
            snapshot = services.analysis_run(actor=None, period_end=period_end)
            self.stdout.write(
                f"analysis to {period_end:%Y-%m}: {snapshot.clients_count} clients, {snapshot.key_count} key "
                f"({snapshot.status})"
            )
        # Key clients' health a week ago and today: the demo opens with a history and its warnings.
        from kam.health.services import compute_health

        today = timezone.localdate()
        for day in (today - timedelta(days=7), today):
            self.stdout.write(f"account health on {day}: {compute_health(day=day)} key clients scored")

    def print_logins(self) -> None:
        rows = demo.logins_table()
        if not rows:
            self.stdout.write("No demo logins in this database (run: manage.py demo).")
            return
        header = ("login", "role", "department", "password")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        for row in [header, tuple("-" * w for w in widths), *rows]:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
