"""Builders for published content: collections with their privacy rule, documents with real
file content, pages in the tree, library entries. Fixtures shared by tests/home and
tests/forms_library are at the bottom; each folder's conftest imports them."""

import io
import zipfile

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

import pytest
from PIL import Image as PILImage

from forms_library.demo import minimal_odt, minimal_pdf
from forms_library.models import CollectionPrivacy, FormsLibraryEntry, FormsLibraryPage, Visibility
from home.models import HelpPage, HomePage, StructureHomePage
from parents.roles import COMMUNICATION_GROUP, setup_roles
from tests.factories.parents import UserFactory

Document = get_document_model()
Image = get_image_model()

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def pdf_bytes(title="Document"):
    return minimal_pdf(title, [])


def odt_bytes(text="Texte"):
    return minimal_odt(text)


def ods_bytes():
    data = odt_bytes()
    archive_in = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            zipfile.ZIP_STORED,
        )
        for name in archive_in.namelist():
            if name != "mimetype":
                archive.writestr(name, archive_in.read(name))
    return output.getvalue()


def ooxml_bytes(main_content_type, main_part="word/document.xml"):
    """A zip shaped like an Office Open XML file whose main part has `main_content_type`."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_content_type}"/>'
        "</Types>"
    )
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr(main_part, "<document/>")
    return output.getvalue()


def image_bytes(kind="PNG"):
    output = io.BytesIO()
    PILImage.new("RGB", (4, 4), (11, 92, 138)).save(output, kind)
    return output.getvalue()


def make_collection(name, structure=None, visibility=Visibility.PUBLIC, parent=None):
    parent = parent or Collection.get_first_root_node()
    collection = parent.add_child(instance=Collection(name=name))
    CollectionPrivacy.objects.create(
        collection=collection, structure=structure, visibility=visibility
    )
    return collection


def make_document(title, collection, filename=None, content=None):
    filename = filename or f"{title}.pdf"
    document = Document(
        title=title,
        collection=collection,
        file=ContentFile(content if content is not None else pdf_bytes(title), name=filename),
    )
    document._set_document_file_metadata()
    document.save()
    return document


def make_image(title, collection):
    image = Image(
        title=title, collection=collection, file=ContentFile(image_bytes(), name="photo.png")
    )
    image.save()
    return image


def publish(page):
    page.save_revision().publish()
    return page


def make_library(parent, entries=(), title="Imprimés", slug="imprimes"):
    """A published library under `parent`; `entries` are dicts of FormsLibraryEntry fields."""
    library = parent.add_child(instance=FormsLibraryPage(title=title, slug=slug))
    for order, fields in enumerate(entries):
        FormsLibraryEntry.objects.create(page=library, sort_order=order, **fields)
    return publish(FormsLibraryPage.objects.get(pk=library.pk))


def make_structure_page(home, structure):
    page = home.add_child(
        instance=StructureHomePage(title=structure.name, slug=structure.slug, structure=structure)
    )
    return publish(page)


def make_help_page(parent, title, body=(), slug=None, **fields):
    page = parent.add_child(
        instance=HelpPage(title=title, slug=slug or title.lower().replace(" ", "-"), **fields)
    )
    # Raw (JSON) block values: document and image blocks take ids, rich text takes HTML.
    page.body = [{"type": block_type, "value": value} for block_type, value in body]
    return publish(page)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files of a test go to a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def home(db):
    """The association's home page, as the migrations create it (the site's root)."""
    return HomePage.objects.get()


@pytest.fixture
def brax_page(home, structure):
    return make_structure_page(home, structure)


@pytest.fixture
def levignac_page(home, other_structure):
    return make_structure_page(home, other_structure)


@pytest.fixture
def collections(structure, other_structure):
    """The association's public collection, Brax's public one with a families-only child,
    and Lévignac's public and families-only ones."""
    association = make_collection("Association")
    brax = make_collection("Brax", structure)
    levignac = make_collection("Lévignac", other_structure)
    made = {
        "association": association,
        "association_private": make_collection("Association familles", None, Visibility.FAMILIES),
        "brax": brax,
        "brax_private": make_collection(
            "Brax familles", structure, Visibility.FAMILIES, parent=brax
        ),
        "levignac": levignac,
        "levignac_private": make_collection(
            "Lévignac familles", other_structure, Visibility.FAMILIES, parent=levignac
        ),
    }
    # Siblings are kept in name order: earlier instances' paths may have moved since.
    return {key: Collection.objects.get(pk=collection.pk) for key, collection in made.items()}


@pytest.fixture
def communication(structure):
    """A member of the Communication group given Brax."""
    return make_staff("communication.test", COMMUNICATION_GROUP, structure)


@pytest.fixture
def other_communication(other_structure):
    """A member of the Communication group given Lévignac only."""
    return make_staff("communication2.test", COMMUNICATION_GROUP, other_structure)


def make_staff(username, role, structure):
    setup_roles()
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    user.structures.add(structure)
    return user
