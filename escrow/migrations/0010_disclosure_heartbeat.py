"""Disclosure builds keep a heartbeat (issue 11): a killed build resumes within a minute."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('escrow', '0009_settlement_release'),
    ]

    operations = [
        migrations.AddField(
            model_name='disclosure',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
