from django.urls import reverse

import pytest

from family_file import services
from family_file.models import (
    AuthorisedPerson,
    HealthSheet,
    PendingChange,
    RulesAcceptance,
    SupportingDocument,
)
from family_file.seasons import season_of
from tests.factories.family_file import pdf_upload

pytestmark = pytest.mark.django_db


def health_post(**extra):
    data = {
        "dtp_last_date": "2024-05-02",
        "allergy_food": "Arachides",
        "allergy_actions": "Stylo d'adrénaline dans le sac",
        "doctor_name": "Dr Martin",
        "certify": "on",
    }
    data.update(extra)
    return data


def test_menu_lists_family_file_after_parent_account(parent_client):
    content = parent_client.get(reverse("parents:home")).content.decode()
    assert content.index("Gestion du compte parent") < content.index("Dossier famille")
    assert content.index("Dossier famille") < content.index("Espace utilisateur")


@pytest.mark.parametrize(
    "name",
    ["home", "guardians", "children", "health-index", "people", "documents", "rules"],
)
def test_every_family_file_page_opens(parent_client, name, insurance, rules):
    response = parent_client.get(reverse(f"family_file:{name}"))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")


def test_health_sheet_sent_waits_for_the_director_then_shows_the_decision(
    parent_client, child, director
):
    url = reverse("family_file:health", args=(child.pk,))
    response = parent_client.post(url, health_post())
    assert response.status_code == 302
    change = PendingChange.objects.get(child=child)
    assert change.section == "health"
    assert change.after["allergy_food"] == "Arachides"
    page = parent_client.get(url).content.decode()
    assert "en attente de validation" in page
    # The sent values are shown back to the parent while they wait.
    assert "Arachides" in page

    services.accept_change(change, by=director, message="Merci")
    sheet = HealthSheet.objects.get(child=child)
    assert sheet.data["allergy_food"] == "Arachides"
    assert sheet.confirmed_season == season_of()
    page = parent_client.get(url).content.decode()
    assert "Modification acceptée" in page
    assert "Certifiée exacte le" in page


def test_health_sheet_without_certification_is_refused_and_nothing_is_written(parent_client, child):
    url = reverse("family_file:health", args=(child.pk,))
    response = parent_client.post(url, health_post(certify=""))
    assert response.status_code == 200
    assert "Cochez la case pour certifier" in response.content.decode()
    assert not PendingChange.objects.exists()
    assert not HealthSheet.objects.exists()


def test_refused_health_sheet_shows_the_reason(parent_client, child, director):
    url = reverse("family_file:health", args=(child.pk,))
    parent_client.post(url, health_post())
    change = PendingChange.objects.get(child=child)
    services.refuse_change(change, by=director, message="Date de rappel illisible")
    page = parent_client.get(url).content.decode()
    assert "Modification refusée" in page
    assert "Date de rappel illisible" in page


def test_structure_that_does_not_check_health_sheets_applies_them_at_once(
    parent_client, child, structure
):
    from family_file.models import FamilyFileSettings

    FamilyFileSettings.objects.create(structure=structure, fields_to_validate=[])
    parent_client.post(reverse("family_file:health", args=(child.pk,)), health_post())
    assert not PendingChange.objects.exists()
    assert HealthSheet.objects.get(child=child).data["doctor_name"] == "Dr Martin"


def test_guardian_address_waits_but_phone_applies(parent_client, guardian):
    prefix = f"g{guardian.pk}"
    response = parent_client.post(
        reverse("family_file:guardians"),
        {
            "guardian": guardian.pk,
            f"{prefix}-address_line1": "8 chemin des Vignes",
            f"{prefix}-postcode": "31490",
            f"{prefix}-city": "Brax",
            f"{prefix}-mobile_phone": "06 12 34 56 78",
            f"{prefix}-parental_authority": "on",
        },
    )
    assert response.status_code == 302
    details = services.guardian_details(guardian)
    assert details.mobile_phone == "06 12 34 56 78"
    assert details.address_line1 == "1 rue de la Paix"
    change = PendingChange.objects.get(guardian=guardian)
    assert change.before == {"address_line1": "1 rue de la Paix"}
    assert change.after == {"address_line1": "8 chemin des Vignes"}
    page = parent_client.get(reverse("family_file:guardians")).content.decode()
    assert "en attente de validation" in page
    assert "1 rue de la Paix → <strong>8 chemin des Vignes</strong>" in page


def test_upload_document_with_lying_content_is_refused(parent_client, insurance):
    response = parent_client.post(
        reverse("family_file:documents"),
        {"slot": f"{insurance.pk}-0", "file": pdf_upload("assurance.pdf", b"MZ\x90\x00 not a pdf")},
    )
    assert response.status_code == 200
    assert "ne correspond pas" in response.content.decode()
    assert not SupportingDocument.objects.exists()


def test_upload_document_then_director_decision_shows(parent_client, insurance, director):
    response = parent_client.post(
        reverse("family_file:documents"), {"slot": f"{insurance.pk}-0", "file": pdf_upload()}
    )
    assert response.status_code == 302
    document = SupportingDocument.objects.get()
    assert (
        "en attente de vérification"
        in parent_client.get(reverse("family_file:documents")).content.decode()
    )
    services.refuse_document(document, by=director, reason="Attestation de l'an dernier")
    page = parent_client.get(reverse("family_file:documents")).content.decode()
    assert "refusée" in page
    assert "Attestation de l&#x27;an dernier" in page


def test_missing_document_is_listed_as_missing(parent_client, insurance):
    page = parent_client.get(reverse("family_file:documents")).content.decode()
    assert "manquante" in page


def test_rules_accepted_records_who_when_which_version(parent_client, rules, guardian):
    response = parent_client.post(
        reverse("family_file:rules"), {"version": rules.pk, "accept": "on"}
    )
    assert response.status_code == 302
    acceptance = RulesAcceptance.objects.get()
    assert acceptance.version == rules
    assert acceptance.user == guardian.user
    assert acceptance.accepted_by_name == guardian.full_name
    assert "Accepté par" in parent_client.get(reverse("family_file:rules")).content.decode()


def test_a_new_rules_version_asks_again(parent_client, rules, structure, family):
    from tests.factories.family_file import RulesVersionFactory

    services.accept_rules(family, rules, by=None)
    RulesVersionFactory(structure=structure, version="Janvier 2027")
    page = parent_client.get(reverse("family_file:rules")).content.decode()
    assert "Janvier 2027" in page
    assert 'name="accept"' in page


def test_rules_accepted_on_a_stale_version_is_not_recorded(parent_client, rules, structure):
    from tests.factories.family_file import RulesVersionFactory

    RulesVersionFactory(structure=structure, version="Janvier 2027")
    parent_client.post(reverse("family_file:rules"), {"version": rules.pk, "accept": "on"})
    assert not RulesAcceptance.objects.exists()


def test_authorised_person_added_for_one_child(parent_client, child):
    response = parent_client.post(
        reverse("family_file:people"),
        {
            "name": "Jeanne Dupont",
            "relationship": "Grand-mère",
            "phone": "05 61 00 00 00",
            "can_pick_up": "on",
            "children": [child.pk],
        },
    )
    assert response.status_code == 302
    person = AuthorisedPerson.objects.get()
    assert list(person.children.all()) == [child]


def test_consents_per_child(parent_client, child, structure):
    parent_client.post(
        reverse("family_file:people"),
        {"child": child.pk, f"c{child.pk}-image_rights": "no", f"c{child.pk}-outings": "yes"},
    )
    details = services.child_details(child)
    assert details.image_rights is False
    assert details.outings is True


def test_home_lists_what_is_missing_with_links(parent_client, insurance, rules, child):
    page = parent_client.get(reverse("family_file:home")).content.decode()
    assert reverse("family_file:rules") in page
    assert reverse("family_file:documents") in page
    assert reverse("family_file:health", args=(child.pk,)) in page


# --- Three actors: another family, a director of another structure, anonymous ---------------


def private_urls(child, person, document):
    return [
        reverse("family_file:health", args=(child.pk,)),
        reverse("family_file:pai-document", args=(child.pk,)),
        reverse("family_file:person", args=(person.pk,)),
        reverse("family_file:document-file", args=(document.pk,)),
    ]


@pytest.fixture
def objects(family, child, insurance, guardian):
    person = AuthorisedPerson.objects.create(
        family=family, name="Jeanne", relationship="Grand-mère", phone="0561000000"
    )
    document = services.upload_document(family, insurance, pdf_upload(), by=guardian.user)
    services.submit_health_sheet(
        child,
        {"allergy_food": "Arachides"},
        certified=True,
        by=guardian.user,
        pai_document=pdf_upload("pai.pdf"),
    )
    return child, person, document


def test_another_family_gets_404_and_changes_nothing(client, objects, other_guardian):
    child, person, document = objects
    client.force_login(other_guardian.user)
    for url in private_urls(*objects):
        assert client.get(url).status_code == 404, url
    assert client.post(private_urls(*objects)[2], {"action": "delete"}).status_code == 404
    assert client.post(private_urls(*objects)[0], health_post()).status_code == 404
    assert AuthorisedPerson.objects.filter(pk=person.pk).exists()
    assert PendingChange.objects.filter(child=child).count() == 1
    # Posting another family's guardian or child id is a 404 too.
    assert client.post(reverse("family_file:children"), {"child": child.pk}).status_code == 404


def test_a_director_gets_404_in_the_family_area(verified_client, objects, other_director):
    client = verified_client(other_director)
    for url in private_urls(*objects) + [reverse("family_file:home"), reverse("parents:my-data")]:
        assert client.get(url).status_code == 404, url


def test_anonymous_is_sent_to_the_login_page(client, objects):
    for url in private_urls(*objects) + [reverse("family_file:home"), reverse("parents:my-data")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("parents:login"))
    assert AuthorisedPerson.objects.count() == 1


def test_parent_downloads_own_document_in_clear(parent_client, objects):
    _child, _person, document = objects
    response = parent_client.get(reverse("family_file:document-file", args=(document.pk,)))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
