import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Location',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=200)),
                ('address', fields.CharField(max_length=300)),
                ('timezone', fields.CharField(default='Europe/Berlin', max_length=64)),
                ('session_minutes', fields.IntField(default=30)),
                ('buffer_minutes', fields.IntField(default=10)),
                ('window_minutes', fields.IntField(default=120)),
                ('notice_minutes', fields.IntField(default=60)),
                ('holiday_country', fields.CharField(default='DE', max_length=2)),
                ('holiday_subdivision', fields.CharField(default='NI', max_length=8)),
                ('active', fields.BooleanField(default=True)),
                ('booking_lock', fields.BigIntField(default=0)),
            ],
            options={'table': 'location', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ClosureDay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='closure_days', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('reason', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'closure_day', 'app': 'models', 'unique_together': (('location', 'day'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OfficeAppointment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='appointments', on_delete=OnDelete.RESTRICT)),
                ('ref', fields.CharField(max_length=64)),
                ('start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('duration_minutes', fields.IntField()),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'office_appointment', 'app': 'models', 'unique_together': (('location', 'ref'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OpeningHours',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='opening_hours', on_delete=OnDelete.CASCADE)),
                ('weekday', fields.SmallIntField()),
                ('opens', fields.SmallIntField()),
                ('closes', fields.SmallIntField()),
            ],
            options={'table': 'opening_hours', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Organisation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=200)),
                ('target_weight', fields.FloatField(null=True)),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'organisation', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Counsellor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='counsellors', on_delete=OnDelete.RESTRICT)),
                ('display_name', fields.CharField(max_length=100)),
                ('languages', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('topics', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('email', fields.CharField(default='', max_length=254)),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'counsellor', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Room',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='rooms', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(max_length=32)),
                ('name', fields.CharField(max_length=100)),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'room', 'app': 'models', 'unique_together': (('location', 'code'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Booking',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reference', fields.CharField(unique=True, max_length=16)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('appointment', fields.ForeignKeyField('models.OfficeAppointment', source_field='appointment_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('counsellor', fields.ForeignKeyField('models.Counsellor', source_field='counsellor_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', null=True, db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.SET_NULL)),
                ('start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('topic', fields.CharField(max_length=16)),
                ('language', fields.CharField(max_length=35)),
                ('ui_language', fields.CharField(default='de', max_length=35)),
                ('channel', fields.CharField(default='online', max_length=16)),
                ('status', fields.CharField(default='booked', max_length=16)),
                ('name', fields.CharField(default='', max_length=100)),
                ('email', fields.CharField(default='', max_length=254)),
                ('phone', fields.CharField(default='', max_length=40)),
                ('consent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('anonymised_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('manage_token_hash', fields.CharField(unique=True, max_length=64)),
                ('slot_key', fields.CharField(null=True, unique=True, max_length=64)),
                ('appointment_key', fields.CharField(null=True, unique=True, max_length=120)),
                ('sequence', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'booking', 'app': 'models', 'indexes': [Index(fields=['location_id', 'start'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlanException',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('counsellor', fields.ForeignKeyField('models.Counsellor', source_field='counsellor_id', db_constraint=True, to_field='id', related_name='plan_exceptions', on_delete=OnDelete.CASCADE)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='plan_exceptions', on_delete=OnDelete.CASCADE)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', null=True, db_constraint=True, to_field='id', related_name='plan_exceptions', on_delete=OnDelete.SET_NULL)),
                ('day', fields.DateField()),
                ('kind', fields.CharField(max_length=16)),
                ('starts', fields.SmallIntField(null=True)),
                ('ends', fields.SmallIntField(null=True)),
                ('note', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'plan_exception', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkShift',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('counsellor', fields.ForeignKeyField('models.Counsellor', source_field='counsellor_id', db_constraint=True, to_field='id', related_name='shifts', on_delete=OnDelete.CASCADE)),
                ('location', fields.ForeignKeyField('models.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='shifts', on_delete=OnDelete.CASCADE)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', null=True, db_constraint=True, to_field='id', related_name='shifts', on_delete=OnDelete.SET_NULL)),
                ('weekday', fields.SmallIntField()),
                ('starts', fields.SmallIntField()),
                ('ends', fields.SmallIntField()),
            ],
            options={'table': 'work_shift', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
