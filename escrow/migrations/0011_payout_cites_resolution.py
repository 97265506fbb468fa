"""A payout may cite a real resolution of its compound (issue 16, part 3)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('escrow', '0010_disclosure_heartbeat'),
        ('meetings', '0001_meetings_topics_votes'),
    ]

    operations = [
        migrations.AddField(
            model_name='payoutrequest',
            name='resolution',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='meetings.resolution', verbose_name='resolution cited'),
        ),
    ]
