from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_mail_outbox')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Ticket',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('number', fields.IntField()),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('topic', fields.CharField(max_length=16)),
                ('language', fields.CharField(max_length=35)),
                ('priority', fields.CharField(default='', max_length=16)),
                ('name', fields.CharField(default='', max_length=40)),
                ('status', fields.CharField(default='waiting', max_length=16)),
                ('arrived_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('queued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('called_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('first_called_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('calls', fields.IntField(default=0)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_reason', fields.CharField(default='', max_length=32)),
                ('counsellor', fields.ForeignKeyField('models.Counsellor', source_field='counsellor_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL)),
                ('for_counsellor_id', fields.IntField(null=True)),
                ('for_organisation_id', fields.IntField(null=True)),
                ('booking', fields.ForeignKeyField('models.Booking', source_field='booking_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL)),
                ('estimate_earliest', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('estimate_latest', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('anonymised_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ticket', 'app': 'models', 'unique_together': (('location_id', 'day', 'number'),), 'indexes': [Index(fields=['location_id', 'day', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Booking',
            name='appointment',
            field=fields.ForeignKeyField('models.OfficeAppointment', source_field='appointment_id', null=True, db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Counsellor',
            name='desk_location_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Counsellor',
            name='desk_since',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Location',
            name='ticket_prefix',
            field=fields.CharField(default='W', db_default='W', max_length=4),
        ),
    ]
