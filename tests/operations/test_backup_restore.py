"""The restore drill of docs/operations.md, run for real: pg_dump, copy the bucket, restore
both into fresh ones, and compare what the families and the accountants rely on."""

import json
import os
import subprocess
import sys
import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

import pytest

from billing.ledger.services import record_payment
from billing.models import PaymentMethod
from tests.factories.billing import issued_invoice, line
from tests.factories.parents import FamilyFactory
from tests.s3 import ACCESS_KEY, ROOT, SECRET_KEY

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
        reason="The drill restores a pg_dump: PostgreSQL only.",
    ),
]


def database_url(name):
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{name}"


def fingerprint(database, bucket, endpoint):
    """`manage.py ledger_fingerprint` in a process of its own, on that database and bucket."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("S3_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": database_url(database),
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "S3_REGION": "us-east-1",
    }
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "ledger_fingerprint", "--every", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def pg(*command):
    settings = connection.settings_dict
    host = ["-h", settings["HOST"], "-p", str(settings["PORT"]), "-U", settings["USER"]]
    subprocess.run([command[0], *host, *command[1:]], check=True, timeout=300)  # noqa: S603


def test_a_dump_and_a_bucket_copy_restore_the_ledger(
    structure, other_structure, seaweedfs, bucket, tmp_path
):
    families = [
        FamilyFactory(structure=structure, name="DUPONT", reference="DUP001"),
        FamilyFactory(structure=structure, name="MARTIN", reference="MAR001"),
        FamilyFactory(structure=other_structure, name="BERNARD", reference="BER001"),
    ]
    for index, family in enumerate(families):
        for month in (1, 2):
            issued_invoice(
                family,
                line(f"{10 + index}.35", quantity="3"),
                issue_date=date(2026, month, 5),
                render_pdf=True,
            )
        record_payment(family, Decimal("20.00") + index, PaymentMethod.TRANSFER)

    live = connection.settings_dict["NAME"]
    restored = f"{live}_restored_{uuid.uuid4().hex[:6]}"
    dump = tmp_path / "portail.dump"
    backup_bucket = f"{bucket}-backup"
    restored_bucket = f"{bucket}-restored"
    # The backup routine.
    pg("pg_dump", "-Fc", "-f", str(dump), live)
    call_command("copy_bucket", "--to", backup_bucket)
    # The drill: a fresh database and a fresh bucket from the backups.
    pg("createdb", restored)
    try:
        pg("pg_restore", "--no-owner", "-d", restored, str(dump))
        with override_settings(S3_BUCKET=restored_bucket):
            call_command("copy_bucket", "--from", backup_bucket)

        before = fingerprint(live, bucket, seaweedfs.endpoint)
        after = fingerprint(restored, restored_bucket, seaweedfs.endpoint)
    finally:
        pg("dropdb", "--if-exists", restored)
    assert len(before["balances"]) == 3
    assert set(before["balances"].values()) != {"0.00"}
    assert len(before["series"]) == 2 and max(before["series"].values()) == 4
    assert len(before["pdfs"]) == 3  # one invoice in two
    assert after == before
    assert len(seaweedfs.keys(restored_bucket)) == len(seaweedfs.keys(bucket)) == 6
