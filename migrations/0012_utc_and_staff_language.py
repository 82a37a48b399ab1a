from datetime import UTC, datetime, timedelta

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Before this release a moved session (and any other instant written by assigning an aware
# local datetime) could be stored on SQLite as text with its local offset, e.g.
# "2026-11-23 12:00:00+01:00", while every other row is in UTC; SQLite sorts and compares that
# text as text. Rewrite every such value in UTC. The columns are found in the schema rather than
# named here, so the migration covers every datetime column of this release. PostgreSQL's
# timestamptz stores the instant itself: nothing to do there.


def _in_utc(text: str) -> str | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() == timedelta(0):
        return None
    return moment.astimezone(UTC).isoformat(" ")


async def store_instants_in_utc(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    tables = await client.execute_query_dict(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    for table in (row["name"] for row in tables):
        columns = await client.execute_query_dict(f'PRAGMA table_info("{table}")')
        for column in (c["name"] for c in columns if "TIMESTAMP" in c["type"].upper()):
            rows = await client.execute_query_dict(
                f'SELECT rowid AS row_id, "{column}" AS value FROM "{table}" '
                f"WHERE \"{column}\" IS NOT NULL AND \"{column}\" NOT LIKE '%+00:00'"
            )
            for row in rows:
                fixed = _in_utc(str(row["value"]))
                if fixed is not None:
                    await client.execute_query(
                        f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?',
                        [fixed, row["row_id"]],
                    )


class Migration(migrations.Migration):
    dependencies = [('models', '0011_follow_up_slip')]

    initial = False

    operations = [
        ops.RunPython(store_instants_in_utc, ops.RunPython.noop),
        ops.AddField(
            model_name='StaffUser',
            name='language',
            field=fields.CharField(default='de', db_default='de', max_length=8),
        ),
    ]
