"""DUPONT's file is complete, MARTIN's misses the insurance certificate and has one change
waiting; loading the demo twice changes nothing."""

from django.core.management import call_command

import pytest

from family_file import services
from family_file.models import (
    DocumentRequirement,
    FamilyQuotient,
    HealthSheet,
    PendingChange,
    RulesAcceptance,
    SupportingDocument,
)
from parents.models import Family

pytestmark = pytest.mark.django_db


def counts():
    return [
        model.objects.count()
        for model in (
            DocumentRequirement,
            SupportingDocument,
            HealthSheet,
            PendingChange,
            RulesAcceptance,
            FamilyQuotient,
        )
    ]


def test_demo_family_files(settings):
    settings.DEBUG = True
    call_command("load_demo_data", stdout=None)
    first = counts()
    call_command("load_demo_data", stdout=None)
    assert counts() == first

    dupont = Family.objects.get(reference="DUP001")
    assert services.missing_items(dupont) == []

    martin = Family.objects.get(reference="MAR001")
    missing = [item.label for item in services.missing_items(martin)]
    assert missing == ["Attestation d'assurance extrascolaire : manquante"]
    change = PendingChange.objects.get(family=martin)
    assert change.status == PendingChange.Status.PENDING
    assert change.after == {"address_line1": "15 avenue des Pyrénées"}
    assert services.quotient_on(martin, change.submitted_at.date()) == 620
