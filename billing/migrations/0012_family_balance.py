"""Each family's balance kept beside its journal, so that the admin finds, counts and sorts
families by what they owe without summing the whole journal; filled from the journal."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models


def fill_from_journal(apps, schema_editor):
    FamilyBalance = apps.get_model("billing", "FamilyBalance")
    LedgerEntry = apps.get_model("billing", "LedgerEntry")
    balances, journal = FamilyBalance._meta.db_table, LedgerEntry._meta.db_table
    # One statement on the server: a large association has millions of journal rows.
    schema_editor.execute(
        f'INSERT INTO "{balances}" (family_id, balance) '  # noqa: S608 (our table names)
        f'SELECT family_id, ROUND(SUM(debit) - SUM(credit), 2) FROM "{journal}" GROUP BY family_id'
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_payment_attempt_balance_due"),
        ("parents", "0007_search_trigram_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="FamilyBalance",
            fields=[
                (
                    "family",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="stored_balance",
                        serialize=False,
                        to="parents.family",
                    ),
                ),
                (
                    "balance",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.00"),
                        max_digits=12,
                        verbose_name="balance",
                    ),
                ),
            ],
            options={
                "verbose_name": "family balance",
                "verbose_name_plural": "family balances",
                "indexes": [models.Index(fields=["balance"], name="family_balance_balance")],
            },
        ),
        migrations.RunPython(fill_from_journal, migrations.RunPython.noop),
    ]
