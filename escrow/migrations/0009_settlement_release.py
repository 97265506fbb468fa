"""The annual settlement (issue 13): the kept part of a settled year moves to the owners' fund
by an entry of its own kind. The payout category "settlement release" and the owners' fund
account (3001, in every compound's default chart since 0001) already exist, so no data
migration is needed: only the new entry kind. The hash chain is untouched (the kind is a
hashed field of new entries only)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("escrow", "0008_app_role_grants"),
    ]

    operations = [
        migrations.AlterField(
            model_name="journalentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("opening_balance", "Opening balance"),
                    ("fee_payment", "Property fee received"),
                    ("unidentified_receipt", "Unidentified receipt"),
                    ("suspense_assignment", "Receipt assigned to a unit"),
                    ("other_income", "Other income"),
                    ("payout", "Payout"),
                    ("reversal", "Reversal"),
                    ("owners_fund_transfer", "Settlement: part kept moved to the owners' fund"),
                ],
                max_length=30,
                verbose_name="kind",
            ),
        ),
    ]
