"""Images: scoped in the admin (chooser, API, bulk pages, forms) and served only after the
collection's rule, like documents."""

from django.forms.models import model_to_dict

from wagtail.images.models import Image

import pytest

from forms_library.models import CollectionPrivacy, Visibility
from parents.roles import DIRECTION_GROUP
from parents.viewsets import StructureForm
from tests.factories.content import make_collection, make_image, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def images(collections, media_root, other_structure):
    levignac_staff = make_collection(
        "Lévignac direction", other_structure, Visibility.STAFF, parent=collections["levignac"]
    )
    return {
        "brax": make_image("Photo de Brax", collections["brax"]),
        "brax_private": make_image("Photo familles Brax", collections["brax_private"]),
        "levignac_signature": make_image("Signature secrète Lévignac", levignac_staff),
        "levignac_private": make_image("Photo familles Lévignac", collections["levignac_private"]),
    }


@pytest.fixture
def director_client(director, verified_client):
    return verified_client(director)


# --- Point 2: the admin offers only the director's own images --------------------------------


def test_the_signature_field_refuses_another_structures_image(director, structure, images):
    form = StructureForm(instance=structure, data={}, for_user=director)
    data = {
        name: value
        for name, value in model_to_dict(structure, fields=list(form.fields)).items()
        if value is not None
    }
    data["certificate_signature"] = images["levignac_signature"].pk
    form = StructureForm(instance=structure, data=data, for_user=director)
    assert not form.is_valid()
    assert "certificate_signature" in form.errors
    choices = form.fields["certificate_signature"].queryset
    assert images["levignac_signature"] not in choices
    # The director's own images are offered: a signature can be set at all.
    data["certificate_signature"] = images["brax"].pk
    form = StructureForm(instance=structure, data=data, for_user=director)
    assert form.is_valid(), form.errors
    form.save()
    structure.refresh_from_db()
    assert structure.certificate_signature == images["brax"]


def test_the_admin_image_and_document_api_list_only_usable_ones(director_client, images):
    for url in ("/admin/api/main/images/", "/admin/api/main/documents/"):
        response = director_client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert "Lévignac" not in text, url
    listed = director_client.get("/admin/api/main/images/").json()["items"]
    assert {item["title"] for item in listed} == {"Photo de Brax", "Photo familles Brax"}
    levignac = images["levignac_signature"].pk
    assert director_client.get(f"/admin/api/main/images/{levignac}/").status_code == 404


def test_bulk_action_pages_do_not_name_other_structures_images(director_client, images):
    ids = f"id={images['levignac_signature'].pk}&id={images['levignac_private'].pk}"
    response = director_client.get(f"/admin/bulk/wagtailimages/image/delete/?{ids}")
    assert response.status_code == 404
    mixed = f"{ids}&id={images['brax'].pk}"
    response = director_client.get(f"/admin/bulk/wagtailimages/image/delete/?{mixed}")
    content = response.content.decode()
    assert "Lévignac" not in content
    assert "Photo de Brax" in content
    response = director_client.post(f"/admin/bulk/wagtailimages/image/delete/?{ids}")
    assert response.status_code == 404
    assert Image.objects.filter(pk=images["levignac_signature"].pk).exists()


def test_the_image_chooser_lists_only_the_directors_images(director_client, images):
    content = director_client.get("/admin/images/chooser/").content.decode()
    assert "Photo de Brax" in content
    assert "Lévignac" not in content


# --- Point 3: files of restricted collections are not public --------------------------------


def url_of(image):
    return image.file.url


def test_public_images_are_served_to_anyone_and_cacheable(client, images):
    response = client.get(url_of(images["brax"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "public" in response["Cache-Control"]


def test_restricted_originals_and_renditions_are_not_public(client, images):
    signature = images["levignac_signature"]
    rendition = signature.get_rendition("max-165x165")
    for url in (url_of(signature), rendition.url, url_of(images["levignac_private"])):
        assert url.startswith("/media/")
        assert client.get(url).status_code == 404, url


def test_restricted_images_follow_the_collection_rule(
    client, images, guardian, other_guardian, director, verified_client, other_structure
):
    family_image = url_of(images["brax_private"])
    signature = url_of(images["levignac_signature"])
    client.force_login(guardian.user)
    response = client.get(family_image)
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert client.get(signature).status_code == 404
    client.force_login(other_guardian.user)
    assert client.get(family_image).status_code == 404
    # A staff-only collection is closed to its own families too.
    assert client.get(signature).status_code == 404
    # Staff: their own structure's restricted images once verified, never another's.
    brax_director = verified_client(director)
    assert brax_director.get(family_image).status_code == 200
    assert brax_director.get(signature).status_code == 404
    levignac_director = make_staff("directeur2.test", DIRECTION_GROUP, other_structure)
    client.force_login(levignac_director)
    assert client.get(signature).status_code == 404  # second factor not verified
    assert verified_client(levignac_director).get(signature).status_code == 200


def test_nothing_else_under_media_is_served(client, images, media_root):
    (media_root / "documents").mkdir(parents=True, exist_ok=True)
    (media_root / "documents" / "secret.pdf").write_bytes(b"%PDF-1.4")
    for path in ("documents/secret.pdf", "original_images/../documents/secret.pdf", "x.txt"):
        assert client.get(f"/media/{path}").status_code == 404, path


def test_the_demo_signature_is_not_public(client, settings, tmp_path):
    from django.core.management import call_command

    from parents.models import Structure

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEBUG = True
    call_command("load_demo_data")
    brax = Structure.objects.get(slug="brax")
    signature = brax.certificate_signature
    assert signature is not None
    # Stored in a staff-only collection of Brax, so neither the proxy advice nor the
    # application ever makes the file public.
    rule = CollectionPrivacy.objects.rule_for(signature.collection)
    assert (rule.structure, rule.visibility) == (brax, Visibility.STAFF)
    assert client.get(signature.file.url).status_code == 404
