from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_booking_limits')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Counsellor',
            name='desk_room_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Counsellor',
            name='ready_since',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Counsellor',
            name='ready_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Ticket',
            name='round_called_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
