from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_walk_in_desk')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Booking',
            name='short_code_hash',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
    ]
