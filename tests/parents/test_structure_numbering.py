"""Two structures issuing under one SIRET must not both number F2026/0001."""

from io import StringIO

from django.core.exceptions import ValidationError
from django.core.management import call_command

import pytest

from parents.models import Structure
from tests.factories.parents import AssociationFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def association():
    return AssociationFactory(siret="42424242400017")


def test_same_prefix_under_the_associations_siret_is_refused(association):
    StructureFactory(association=association, name="Commune de Brax", slug="brax")
    levignac = StructureFactory.build(association=association, name="Lévignac", slug="levignac")

    with pytest.raises(ValidationError) as refused:
        levignac.full_clean()

    message = refused.value.message_dict["invoice_prefix"][0]
    assert "Commune de Brax" in message
    assert "42424242400017" in message
    assert "/0001" in message
    assert "credit_note_prefix" in refused.value.message_dict


def test_distinct_prefixes_or_own_siret_are_accepted(association):
    StructureFactory(association=association, slug="brax", invoice_prefix="2L")
    StructureFactory.build(
        association=association, slug="levignac", invoice_prefix="LV", credit_note_prefix="AVLV"
    ).full_clean()
    StructureFactory.build(
        association=association, slug="pibrac", siret="42424242400090"
    ).full_clean()


def test_a_suffix_is_enough_to_tell_the_series_apart(association):
    StructureFactory(association=association, slug="brax", invoice_suffix="EN")
    StructureFactory.build(
        association=association, slug="levignac", credit_note_suffix="LV"
    ).full_clean()


def test_the_demo_structures_number_apart():
    call_command("load_demo_data", force=True, stdout=StringIO())

    for structure in Structure.objects.all():
        assert structure.numbering_clashes() == {}
