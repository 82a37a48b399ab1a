import re

from tortoise import migrations
from tortoise.migrations import operations as ops

# Messages written before this release keep the live manage token in their text and HTML.
# From now on the outbox stores the placeholder and the sender fills the token in from the
# booking's nonce (booking/services/outbox.py): replace the stored tokens by the placeholder,
# in every status, so that a dump of the table or an admin reading mails cannot act as the
# applicant. Tokens are derived by HMAC-SHA256, 64 hex digits; links without one never had it.
LIVE_LINK = re.compile(r"/manage/[0-9a-f]{64}")
STORED_LINK = "/manage/{manage_token}"


async def forget_live_links(apps, schema_editor):
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    update = (
        "UPDATE outbox_message SET text = $1, html = $2 WHERE id = $3"
        if postgres
        else "UPDATE outbox_message SET text = ?, html = ? WHERE id = ?"
    )
    rows = await client.execute_query_dict(
        "SELECT id, text, html FROM outbox_message WHERE text LIKE '%/manage/%' "
        "OR html LIKE '%/manage/%'"
    )
    for row in rows:
        text = LIVE_LINK.sub(lambda _: STORED_LINK, row["text"])
        html = LIVE_LINK.sub(lambda _: STORED_LINK, row["html"])
        if (text, html) != (row["text"], row["html"]):
            await client.execute_query(update, [text, html, row["id"]])


class Migration(migrations.Migration):
    dependencies = [('models', '0007_sessions_and_throttle')]

    initial = False

    operations = [
        ops.RunPython(forget_live_links, ops.RunPython.noop),
    ]
