"""PostgreSQL: drop the `varchar_pattern_ops` copy of the line-id index that Django adds to unique CharFields.

Nothing searches line ids by prefix (LIKE 'x%'); the extra index only cost every import time
(one more B-tree updated per line). The unique index on the line id stays.
"""

from django.db import migrations


def drop_like_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_salesline' "
            "AND schemaname = current_schema() AND indexname LIKE %s",
            ["%\\_like"],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore_like_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "ledger_salesline_external_id_like" '
        'ON "ledger_salesline" ("external_id" varchar_pattern_ops)'
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(drop_like_index, restore_like_index)]
