"""Online payments of an amount the parent chooses: each attempt keeps the balance it was
opened against (until now always its amount), and the structure's option reads clearly."""

from django.db import migrations, models
from django.db.models import F


def balance_was_the_amount(apps, schema_editor):
    # Every attempt so far was for the whole balance.
    PaymentAttempt = apps.get_model("billing", "PaymentAttempt")
    PaymentAttempt.objects.update(balance_due=F("amount"))


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_certificate_conversion"),
    ]

    operations = [
        migrations.AddField(
            model_name="paymentattempt",
            name="balance_due",
            field=models.DecimalField(
                decimal_places=2,
                max_digits=10,
                null=True,
                verbose_name="balance due at the start",
            ),
        ),
        migrations.RunPython(balance_was_the_amount, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="paymentattempt",
            name="balance_due",
            field=models.DecimalField(
                decimal_places=2, max_digits=10, verbose_name="balance due at the start"
            ),
        ),
        migrations.AddConstraint(
            model_name="paymentattempt",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__lte", F("balance_due"))),
                name="paymentattempt_amount_lte_balance",
            ),
        ),
        migrations.AlterField(
            model_name="onlinepaymentsettings",
            name="free_amount",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Unticked (the default): parents pay the whole balance due. Ticked: the "
                    "payment page offers the balance due and lets parents type a smaller "
                    "amount, at least the structure's minimum balance for online payment and "
                    "at most the balance due."
                ),
                verbose_name="parents may choose the amount of an online payment",
            ),
        ),
    ]
