"""Collection rules, the library's structure, entries' publication windows, and the
permissions kept in step with them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

from wagtail.models import CollectionViewRestriction, GroupCollectionPermission

import pytest

from forms_library.models import (
    Category,
    CollectionPrivacy,
    FormsLibraryEntry,
    FormsLibraryPage,
    Visibility,
    library_sections,
)
from tests.factories.content import make_collection, make_document, make_library

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def test_public_and_family_collections_follow_the_nearest_rule(collections, structure):
    nested_private = collections["brax_private"].add_child(name="2026")
    public = CollectionPrivacy.objects.public_collection_ids()
    assert collections["association"].pk in public
    assert collections["brax"].pk in public
    assert collections["brax_private"].pk not in public
    assert nested_private.pk not in public

    readable = CollectionPrivacy.objects.family_collection_ids(structure)
    assert {
        collections["brax_private"].pk,
        nested_private.pk,
        collections["association_private"].pk,
        collections["levignac"].pk,
    } <= readable
    assert collections["levignac_private"].pk not in readable


def test_a_public_rule_below_a_restricted_collection_opens_that_branch(collections):
    opened = make_collection(
        "Brax public again", None, Visibility.PUBLIC, parent=collections["brax_private"]
    )
    assert opened.pk in CollectionPrivacy.objects.public_collection_ids()
    assert CollectionPrivacy.objects.rule_for(opened).collection == opened


def test_collections_without_any_rule_are_public_and_wagtail_restrictions_are_not(collections):
    from wagtail.models import Collection

    plain = Collection.get_first_root_node().add_child(name="Sans règle")
    CollectionViewRestriction.objects.create(
        collection=collections["association"], restriction_type=CollectionViewRestriction.LOGIN
    )
    public = CollectionPrivacy.objects.public_collection_ids()
    assert plain.pk in public
    assert CollectionPrivacy.objects.rule_for(plain) is None
    assert collections["association"].pk not in public


def test_a_librarys_structure_follows_its_place_in_the_tree(home, brax_page, levignac_page):
    brax_library = make_library(brax_page)
    association_library = make_library(home)
    assert brax_library.structure == brax_page.structure
    assert association_library.structure is None

    brax_library.move(levignac_page, pos="last-child")
    assert FormsLibraryPage.objects.get(pk=brax_library.pk).structure == levignac_page.structure


def test_an_entry_cannot_end_before_it_starts(collections):
    today = timezone.localdate()
    entry = FormsLibraryEntry(
        label="Programme",
        document=make_document("Programme", collections["brax"]),
        category=Category.PROGRAMMES,
        shown_from=today,
        shown_until=today - timedelta(days=1),
    )
    with pytest.raises(ValidationError) as error:
        entry.clean()
    assert error.value.message_dict == {
        "shown_until": ["La fin de la publication précède son début."]
    }


def test_publication_windows_include_both_days_in_paris_time(collections):
    document = make_document("Programme", collections["brax"])
    day = datetime(2026, 7, 1, tzinfo=PARIS).date()
    entries = [
        FormsLibraryEntry(label="Avant", document=document, shown_from=day + timedelta(days=1)),
        FormsLibraryEntry(label="Premier jour", document=document, shown_from=day),
        FormsLibraryEntry(label="Dernier jour", document=document, shown_until=day),
        FormsLibraryEntry(label="Fini", document=document, shown_until=day - timedelta(days=1)),
    ]
    sections = library_sections(entries, lambda document: True, day=day)
    assert {entry.label for entry in sections[0]["entries"]} == {"Premier jour", "Dernier jour"}


def test_today_is_the_date_in_paris_not_in_utc(collections):
    document = make_document("Programme", collections["brax"])
    paris_today = timezone.now().astimezone(PARIS).date()
    entry = FormsLibraryEntry(label="Aujourd'hui", document=document, shown_from=paris_today)
    late = FormsLibraryEntry(
        label="Hier", document=document, shown_until=paris_today - timedelta(days=1)
    )
    sections = library_sections([entry, late], lambda document: True)
    assert [entry.label for entry in sections[0]["entries"]] == ["Aujourd'hui"]


def test_a_collection_rule_gives_its_structures_groups_their_document_rights(
    collections, communication, director, other_communication
):
    brax = collections["brax"]
    rows = set(
        GroupCollectionPermission.objects.filter(collection=brax).values_list(
            "group__name", "permission__codename"
        )
    )
    assert ("Communication · brax", "add_document") in rows
    assert ("Communication · brax", "choose_image") in rows
    assert ("Direction · brax", "change_document") in rows
    assert not any(name.endswith("levignac") for name, _ in rows)

    rule = brax.privacy
    rule.structure = collections["levignac"].privacy.structure
    rule.save()
    names = set(
        GroupCollectionPermission.objects.filter(collection=brax).values_list(
            "group__name", flat=True
        )
    )
    assert names == {"Communication · levignac", "Direction · levignac"}
