import re
from datetime import date
from html.parser import HTMLParser

from django.core.files.storage import FileSystemStorage
from django.utils import timezone

import pytest

from core.storage import private_storage
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory

FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


@pytest.fixture(autouse=True)
def private_files(tmp_path, monkeypatch):
    """Stored PDFs go to a folder of their own per test, never to the shared test folder."""
    storage = FileSystemStorage(location=tmp_path / "private", base_url=None)
    monkeypatch.setattr(private_storage, "_wrapped", storage)
    return storage


@pytest.fixture
def brax(structure):
    """Brax numbers its invoices like the manual: 2L2012/0038EN."""
    structure.invoice_prefix, structure.invoice_suffix = "2L", "EN"
    structure.save(update_fields=["invoice_prefix", "invoice_suffix"])
    return structure


def french_today():
    """Today as the account page writes it ("1er avril 2026"), spelled out independently."""
    today = timezone.localdate()
    day = "1er" if today.day == 1 else today.day
    return f"{day} {FRENCH_MONTHS[today.month - 1]} {today.year}"


def squash(text):
    return " ".join(text.split())


class OperationsTable(HTMLParser):
    """The rows of the account page's operations table: each cell's text and links."""

    def __init__(self, content):
        super().__init__()
        self.rows = []
        self.links = []
        self._in_body = False
        self._cell = None
        self.feed(content)

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
            self.links.append([])
        elif self._in_body and tag in ("td", "th"):
            self._cell = []
        elif self._cell is not None and tag == "a":
            self.links[-1].append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(squash("".join(self._cell)))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def operation_rows(response):
    """[(operation, date, debit, credit, balance, download text)] and the links per row."""
    table = OperationsTable(response.content.decode())
    return [tuple(row) for row in table.rows], table.links


def balance_sentence(response):
    match = re.search(
        r'<h2 id="balance-heading"[^>]*>(.*?)</h2>', response.content.decode(), re.DOTALL
    )
    return squash(match.group(1)) if match else None


@pytest.fixture
def martin(structure):
    family = FamilyFactory(structure=structure, name="MARTIN", reference="MAR001")
    GuardianFactory(family=family, first_name="Sophie", user=None, email="")
    return family


@pytest.fixture
def leo(martin):
    return ChildFactory(family=martin, first_name="Léo", birth_date=date(2020, 5, 12))
