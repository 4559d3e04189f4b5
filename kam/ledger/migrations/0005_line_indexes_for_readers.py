"""Ledger lines: only the indexes that have readers; the line id in the "C" collation on PostgreSQL.

* `ledger_line_date` and `ledger_line_department_date` had no reader (totals by date or department
  come from `ledger_monthly`; PROTECT on a department scans the ledger) and cost every bulk import
  a sort of the whole ledger each.
* PostgreSQL: `external_id` in the "C" collation. Equality (and so uniqueness) is the same under
  any deterministic collation; only the order differs, and nothing orders lines by their id. A
  bytewise comparison lets PostgreSQL sort the unique index with abbreviated keys, several times
  faster than under a libc collation. No table rewrite: the unique index is rebuilt. SQLite has
  no "C" collation and keeps its default (BINARY, bytewise already).
"""

from django.db import migrations


def line_id_collation(collation: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(
            f'ALTER TABLE "ledger_salesline" ALTER COLUMN "external_id" TYPE varchar(128) COLLATE {collation}'
        )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_monthly_first_buy_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="salesline",
            name="ledger_line_date",
        ),
        migrations.RemoveIndex(
            model_name="salesline",
            name="ledger_line_department_date",
        ),
        migrations.RunPython(line_id_collation('"C"'), line_id_collation('"default"')),
    ]
