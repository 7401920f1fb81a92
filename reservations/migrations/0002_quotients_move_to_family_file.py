"""The validated quotient familial now belongs to the family file: copy, then drop ours."""

from django.db import migrations


def copy_quotients(apps, schema_editor):
    old = apps.get_model("reservations", "FamilyQuotient")
    new = apps.get_model("family_file", "FamilyQuotient")
    for row in old.objects.all().iterator():
        new.objects.get_or_create(
            family_id=row.family_id,
            effective_date=row.proof_date,
            defaults={"quotient": row.quotient, "note": row.note},
        )


def copy_back(apps, schema_editor):
    old = apps.get_model("reservations", "FamilyQuotient")
    new = apps.get_model("family_file", "FamilyQuotient")
    for row in new.objects.all().iterator():
        old.objects.get_or_create(
            family_id=row.family_id,
            proof_date=row.effective_date,
            defaults={"quotient": row.quotient, "note": row.note[:200]},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reservations", "0001_initial"),
        ("family_file", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_quotients, copy_back),
        migrations.DeleteModel(name="FamilyQuotient"),
    ]
