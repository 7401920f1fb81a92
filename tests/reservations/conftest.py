import re
from html import unescape

from django.core.files.storage import FileSystemStorage

import pytest

from core.storage import private_storage
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory, UserFactory


@pytest.fixture(autouse=True)
def private_files(tmp_path, monkeypatch):
    """Stored PDFs and documents go to a folder of their own per test."""
    storage = FileSystemStorage(location=tmp_path / "private", base_url=None)
    monkeypatch.setattr(private_storage, "_wrapped", storage)
    return storage


@pytest.fixture
def lea(family):
    return family.children.get(first_name="Léa")


@pytest.fixture
def hugo(family):
    return ChildFactory(family=family, first_name="Hugo")


@pytest.fixture
def neighbours(structure):
    """Another family of the same structure, with a guardian who has a login and an email."""
    family = FamilyFactory(structure=structure, name="MARTIN", reference="MAR001")
    GuardianFactory(family=family, user=UserFactory(username="martin.test"))
    ChildFactory(family=family, first_name="Jules")
    return family


@pytest.fixture
def jules(neighbours):
    return neighbours.children.get()


def page_text(response):
    """The visible text of a page, tags removed and spaces squashed."""
    content = response.content.decode()
    content = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", content, flags=re.DOTALL)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", content)).split())


def messages_of(response):
    return [str(message) for message in response.context["messages"]]
