"""`manage.py generate_attestations`: progress, summary, idempotency, options."""

import io
from datetime import date

from django.core.management import CommandError, call_command

import pytest

from billing.models import Certificate
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory

from .test_certificates import care, invoice, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def families(structure, other_structure):
    made = []
    for target, reference, birth in (
        (structure, "MAR001", date(2020, 5, 12)),
        (structure, "BON001", date(2016, 9, 23)),
        (other_structure, "LEV001", date(2021, 1, 4)),
    ):
        family = FamilyFactory(structure=target, reference=reference)
        GuardianFactory(family=family, user=None, email="")
        child = ChildFactory(family=family, birth_date=birth)
        invoice(family, date(2025, 6, 30), care(child, "25.00", date(2025, 6, 4)))
        pay(family, "25.00", date(2025, 7, 3))
        made.append(family)
    return made


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_attestations", *args, "--workers", "1", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_generates_with_a_progress_bar_and_a_summary(families, structure):
    out, err = run("2025", "--structure", structure.slug)

    assert "2/2 families (100%)" in err
    assert "families/s" in err and "left" in err
    assert out.startswith("Generated 2, unchanged 0, flagged 0 — 2 families in ")
    assert ", 2 PDFs (" in out
    assert sorted(Certificate.objects.values_list("kind", "care_amount")) == [
        ("payment", 25),
        ("tax_credit", 25),
    ]
    assert all(c.pdf for c in Certificate.objects.all())


def test_running_twice_regenerates_nothing(families, structure):
    run("2025")
    numbers = sorted(Certificate.objects.values_list("number", flat=True))

    out, _err = run("2025")

    assert out.startswith("Generated 0, unchanged 3, flagged 0 — 3 families")
    assert sorted(Certificate.objects.values_list("number", flat=True)) == numbers


def test_one_family_and_a_dry_run(families, structure):
    out, _err = run("2025", "--structure", structure.slug, "--family", "MAR001", "--dry-run")

    assert out.startswith("Would generate 1, unchanged 0, flagged 0 — 1 families")
    assert not Certificate.objects.exists()


def test_publish_option_publishes_and_reports(families, structure):
    out, _err = run("2025", "--structure", structure.slug, "--publish")

    assert f"{structure.slug}: published 2, replaced 0, held for review 0" in out
    assert set(Certificate.objects.values_list("status", flat=True)) == {"published"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2025", "--structure", "nowhere"], "No structure with the slug 'nowhere'."),
        (["2025", "--family", "NOPE"], "No family with the reference 'NOPE'."),
        (["1999"], "1999 is not a past or current year."),
    ],
)
def test_wrong_arguments_are_refused(families, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Certificate.objects.exists()
