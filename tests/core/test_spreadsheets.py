"""Admin CSV exports in French Excel's dialect; XLSX keeps typed cells."""

import io
import re
from datetime import date
from decimal import Decimal

from django.urls import reverse

import pytest
from openpyxl import load_workbook

from core.spreadsheets import csv_value
from tests.factories.billing import issued_invoice, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def director_client(director, verified_client):
    return verified_client(director)


def test_invoice_csv_is_french_excels(director_client, family):
    invoice = issued_invoice(family, line("36.07"), issue_date=date(2027, 4, 1))

    response = director_client.get(reverse("invoices:index"), {"export": "csv"})

    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith(b"\xef\xbb\xbf")
    header, row = body.decode("utf-8-sig").splitlines()
    assert header.startswith("Numéro;Structure;Référence famille;Famille;")
    assert row.split(";") == [
        invoice.number,
        "Commune de Brax",
        "DUP001",
        "DUPONT",
        "01/04/2027",
        invoice.due_date.strftime("%d/%m/%Y"),
        "36,07",
        "émise",
    ]


def test_xlsx_keeps_numbers_and_dates(director_client, family):
    issued_invoice(family, line("36.07"), issue_date=date(2027, 4, 1))

    response = director_client.get(reverse("invoices:index"), {"export": "xlsx"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    row = next(sheet.iter_rows(min_row=2, values_only=True))
    assert row[4] == date(2027, 4, 1)
    assert row[6] == pytest.approx(36.07)


def test_site_history_csv_dates_are_french(director_client, family):
    issued_invoice(family, line("36.07"), issue_date=date(2027, 4, 1))

    response = director_client.get(reverse("wagtailadmin_reports:site_history"), {"export": "csv"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert ";" in lines[0]
    assert any(re.search(r"(^|;)\d\d/\d\d/\d{4} \d\d:\d\d(;|$)", line) for line in lines[1:])


def test_csv_values():
    assert csv_value(Decimal("1234.50")) == "1234,50"
    assert csv_value(date(2027, 4, 1)) == "01/04/2027"
    assert csv_value("2.5 km") == "2.5 km"
    assert csv_value(True) is True
