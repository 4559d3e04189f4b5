from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "kam.ledger"
    label = "ledger"
    verbose_name = "Sales ledger"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        # Who gave which file, with which options, and what came of it. The sales lines and monthly
        # totals are bulk tables and stay out; so do the importer's working fields (progress, the kept
        # bad rows, headers, timings, the stored file's name).
        auditlog.register(
            models.ImportBatch,
            exclude_fields=[
                "stored_file",
                "headers",
                "errors",
                "phase",
                "progress_rows",
                "progress_pct",
                "heartbeat_at",
                "timings",
            ],
        )
