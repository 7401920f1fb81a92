"""The admin's list of incomplete family files: the families the database finds
(`incomplete_files`) are exactly those `missing_items` finds something missing for, whatever
is missing; the list pages them and shows only the director's own structures."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

import pytest

from family_file import services
from family_file.models import HealthSheet
from family_file.seasons import season_of
from parents.models import Family
from tests.factories.family_file import DocumentRequirementFactory, pdf_upload
from tests.factories.parents import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(structure, rules):
    """What Brax asks: its rules, an insurance, each child's vaccinations; a custody
    judgement that is optional (never missing)."""
    return {
        "rules": rules,
        "insurance": DocumentRequirementFactory(structure=structure, name="Assurance"),
        "vaccinations": DocumentRequirementFactory(
            structure=structure, kind="vaccinations", name="Vaccins", per_child=True
        ),
        "custody": DocumentRequirementFactory(
            structure=structure, kind="custody", name="Jugement", required=False
        ),
    }


def send(family, requirement, director, *, child=None, status="accepted", **decision):
    document = services.upload_document(family, requirement, pdf_upload(), by=director, child=child)
    if status == "accepted":
        services.accept_document(document, by=director, **decision)
    elif status == "refused":
        services.refuse_document(document, by=director, reason="Illisible")
    return document


def complete_family(structure, asked, director, name, *, children=1, skip=()):
    """A family with everything done, but what `skip` names."""
    family = FamilyFactory(structure=structure, name=name, reference=name[:6])
    kids = [ChildFactory(family=family, first_name=f"Enfant {n}") for n in range(children)]
    if "rules" not in skip:
        services.accept_rules(family, asked["rules"], by=director)
    if "insurance" not in skip:
        send(family, asked["insurance"], director)
    for number, kid in enumerate(kids):
        if f"vaccinations {number}" not in skip:
            send(family, asked["vaccinations"], director, child=kid)
        season = season_of() - (1 if f"health {number}" in skip else 0)
        HealthSheet.objects.create(child=kid, data={}, confirmed_season=season)
    return family


def test_the_database_finds_what_missing_items_finds(structure, asked, director):
    yesterday = timezone.localdate() - timedelta(days=1)
    tomorrow = timezone.localdate() + timedelta(days=1)
    complete = [
        complete_family(structure, asked, director, "COMPLETE", children=2),
        complete_family(structure, asked, director, "SANSENFANT", children=0),
    ]
    # Refused, then accepted: the latest counts.
    corrected = complete_family(structure, asked, director, "CORRIGE", skip={"insurance"})
    send(corrected, asked["insurance"], director, status="refused")
    send(corrected, asked["insurance"], director, valid_until=tomorrow)
    complete.append(corrected)

    incomplete = [
        complete_family(structure, asked, director, "REGLEMENT", skip={"rules"}),
        complete_family(structure, asked, director, "SANSASSURANCE", skip={"insurance"}),
        complete_family(structure, asked, director, "VACCINS", children=2, skip={"vaccinations 1"}),
        complete_family(structure, asked, director, "FICHE", children=2, skip={"health 1"}),
    ]
    for name, decision in [
        ("EXPIREE", {"valid_until": yesterday}),
        ("ATTENTE", {"status": "pending"}),
        ("REFUSEE", {"status": "refused"}),
    ]:
        family = complete_family(structure, asked, director, name, skip={"insurance"})
        send(family, asked["insurance"], director, **decision)
        incomplete.append(family)
    # Accepted, then a newer one turned down: the latest counts.
    undone = complete_family(structure, asked, director, "DEFAIT")
    send(undone, asked["insurance"], director, status="refused")
    incomplete.append(undone)
    # A child without any health sheet.
    no_sheet = complete_family(structure, asked, director, "SANSFICHE")
    ChildFactory(family=no_sheet, first_name="Nouveau")
    incomplete.append(no_sheet)

    families = Family.objects.filter(structure=structure)
    by_missing_items = {family for family in families if services.missing_items(family)}
    assert by_missing_items == set(incomplete)
    assert set(services.incomplete_files(families)) == set(incomplete)
    # Per page, in a few queries, the same items as one family at a time.
    page = list(families.order_by("name"))
    batch = services.missing_items_by_family(page)
    for family in page:
        one = services.missing_items(family)
        assert [(i.label, i.url) for i in batch[family.pk]] == [(i.label, i.url) for i in one]


def test_without_rules_nor_documents_only_health_sheets_count(structure, director):
    done = FamilyFactory(structure=structure, name="FAITE", reference="FAI001")
    HealthSheet.objects.create(
        child=ChildFactory(family=done), data={}, confirmed_season=season_of()
    )
    todo = FamilyFactory(structure=structure, name="AFAIRE", reference="AFA001")
    ChildFactory(family=todo)
    empty = FamilyFactory(structure=structure, name="VIDE", reference="VID001")

    families = Family.objects.filter(pk__in=[done.pk, todo.pk, empty.pk])
    assert set(services.incomplete_files(families)) == {todo}
    assert not services.missing_items(empty) and not services.missing_items(done)


def test_the_list_pages_the_incomplete_files_of_the_directors_structures(
    structure, asked, director, director_client, other_guardian
):
    complete_family(structure, asked, director, "COMPLETE")
    for number in range(55):
        FamilyFactory(structure=structure, name=f"FAMILLE {number:02}", reference=f"F{number:02}")
    index = reverse("family_files:index")

    first = director_client.get(index).content.decode()
    assert "FAMILLE 00" in first and "FAMILLE 49" in first and "FAMILLE 50" not in first
    assert "COMPLETE" not in first and other_guardian.family.name not in first
    assert "1 / 2" in first
    second = director_client.get(index + "?p=2").content.decode()
    assert "FAMILLE 54" in second and "FAMILLE 49" not in second
    everything = director_client.get(index + "?all=1&q=COMPLETE").content.decode()
    assert "COMPLETE" in everything and "Complet" in everything
    assert other_guardian.family.name not in director_client.get(index + "?q=BER").content.decode()


def test_a_document_required_per_child_counts_in_its_own_structure_only(
    structure, other_structure, asked, director
):
    """Brax asks each child's vaccinations; the other structure asks nothing. A child with a
    certified health sheet and no vaccinations leaves the Brax file incomplete only."""

    def family_with_a_certified_child(where, name):
        family = FamilyFactory(structure=where, name=name, reference=name[:6])
        child = ChildFactory(family=family)
        HealthSheet.objects.create(child=child, data={}, confirmed_season=season_of())
        return family

    brax = family_with_a_certified_child(structure, "BRAX")
    services.accept_rules(brax, asked["rules"], by=director)
    send(brax, asked["insurance"], director)
    elsewhere = family_with_a_certified_child(other_structure, "AILLEURS")

    families = Family.objects.filter(pk__in=[brax.pk, elsewhere.pk])
    assert {f for f in families if services.missing_items(f)} == {brax}
    assert set(services.incomplete_files(families)) == {brax}
