from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kam.access.models import User
from kam.core.exports import xlsx_response
from kam.planning import documents, selectors
from kam.planning.periods import Period


class Command(BaseCommand):
    help = (
        "Write the month's commission statements (Excel and PDF) of every KAM the given user may see, "
        "e.g. at month close: manage.py commission_statements --as diana --month 2026-11 --out statements/"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as", dest="username", required=True, help="a director or head; their rights apply"
        )
        parser.add_argument("--month", help="YYYY-MM (default: last month)")
        parser.add_argument("--out", required=True, help="directory to write into")
        parser.add_argument("--format", choices=["xlsx", "pdf", "both"], default="both")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['username']!r}")
        try:
            month = (
                Period.parse(options["month"])
                if options["month"]
                else Period.containing("month", timezone.localdate()).previous
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        if month.kind != "month":
            raise CommandError("--month must be a month, YYYY-MM")
        kams = selectors.kams_for(user)
        if not kams:
            raise CommandError(f"{user.username} may see no KAM's statement")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        for kam in kams:
            st = selectors.statement(user, kam, month)
            stem = out / f"commission-{kam.username}-{month.slug}"
            if options["format"] in ("xlsx", "both"):
                headers, rows = documents.statement_rows(st)
                stem.with_suffix(".xlsx").write_bytes(
                    xlsx_response(stem.name, headers, rows, sheet=month.slug).content
                )
            if options["format"] in ("pdf", "both"):
                stem.with_suffix(".pdf").write_bytes(documents.statement_pdf(st))
            self.stdout.write(f"{kam.username}: {len(st.deals)} deals, total {st.total}")
