from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_staff_accounts')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Booking',
            name='checked_in_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Booking',
            name='outcome_note',
            field=fields.CharField(default='', max_length=500),
        ),
        ops.AddField(
            model_name='Booking',
            name='outcome_topics',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Booking',
            name='referral',
            field=fields.CharField(default='', max_length=32),
        ),
        ops.AddIndex(
            model_name='Booking',
            index=Index(fields=['anonymised_at', 'end']),
        ),
        ops.AddField(
            model_name='Counsellor',
            name='feed_token_hash',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
    ]
