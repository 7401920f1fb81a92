"""An index for each column the invoice and payment lists sort on."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0012_family_balance"),
        ("parents", "0007_search_trigram_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["number"], name="invoice_number"),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["status"], name="invoice_status"),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["total"], name="invoice_total"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["amount"], name="payment_amount"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["method"], name="payment_method"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["needs_review"], name="payment_needs_review"),
        ),
    ]
