"""Front-end cache purges: what is sent to a configured cache when content changes."""

from wagtail.contrib.frontend_cache.backends.base import BaseBackend

import pytest

from forms_library.models import Visibility
from tests.factories.content import make_document, make_help_page, make_library

pytestmark = pytest.mark.django_db

ROOT = "http://localhost"


class RecordingBackend(BaseBackend):
    """A front-end cache that keeps the URLs it was asked to purge."""

    purged = []

    def purge(self, url):
        RecordingBackend.purged.append(url)


@pytest.fixture
def purged(settings):
    settings.WAGTAILFRONTENDCACHE = {
        "test": {"BACKEND": "tests.home.test_frontend_cache.RecordingBackend"}
    }
    RecordingBackend.purged = []
    return RecordingBackend.purged


def test_publishing_a_page_purges_it_its_parent_and_the_pages_api(purged, home):
    page = make_help_page(home, "Infos pratiques", slug="infos")
    assert f"{ROOT}/infos/" in purged
    assert f"{ROOT}/" in purged
    assert f"{ROOT}/api/v2/pages/" in purged
    assert f"{ROOT}/api/v2/pages/{page.pk}/" in purged

    purged.clear()
    page.unpublish()
    assert f"{ROOT}/infos/" in purged
    assert f"{ROOT}/api/v2/pages/{page.pk}/" in purged


def test_making_a_collection_private_purges_its_documents_and_their_libraries(
    purged, brax_page, collections
):
    document = make_document("Programme", collections["brax"])
    library = make_library(brax_page, [{"label": "Programme", "document": document}])
    purged.clear()

    rule = collections["brax"].privacy
    rule.visibility = Visibility.FAMILIES
    rule.save()
    assert ROOT + document.url in purged
    assert f"{ROOT}/api/v2/documents/" in purged
    assert f"{ROOT}/api/v2/documents/{document.pk}/" in purged
    assert ROOT + library.url in purged
    assert ROOT + brax_page.url in purged


def test_changing_a_document_purges_its_address(purged, collections):
    document = make_document("Programme", collections["brax"])
    purged.clear()
    document.title = "Programme corrigé"
    document.save()
    assert ROOT + document.url in purged


def test_nothing_is_purged_without_a_configured_cache(settings, home, collections):
    settings.WAGTAILFRONTENDCACHE = {}
    RecordingBackend.purged = []
    make_help_page(home, "Infos")
    make_document("Programme", collections["brax"])
    assert RecordingBackend.purged == []
