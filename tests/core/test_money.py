from decimal import Decimal

import pytest

from core.money import format_euros, line_amount, quantize


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.005", "1.01"), ("1.004", "1.00"), ("2.675", "2.68"), ("-1.005", "-1.01")],
)
def test_quantize_rounds_half_up_to_the_cent(value, expected):
    assert quantize(Decimal(value)) == Decimal(expected)


def test_a_line_is_rounded_once_after_multiplying():
    # 3 × 0,335 = 1,005 → 1,01; rounding the unit price first would give 1,02.
    assert line_amount(Decimal("3"), Decimal("0.335")) == Decimal("1.01")
    assert line_amount(Decimal("5"), Decimal("3.62")) == Decimal("18.10")
    assert line_amount(Decimal("0.5"), Decimal("3.59")) == Decimal("1.80")


def test_an_invoice_total_is_the_sum_of_rounded_lines():
    # Three lines of 1 × 0,335 are 0,34 each on the invoice: 1,02, not round(1,005) = 1,01.
    lines = [line_amount(Decimal("1"), Decimal("0.335")) for _ in range(3)]
    assert lines == [Decimal("0.34")] * 3
    assert sum(lines) == Decimal("1.02")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("36.07"), "36,07 €"),
        (Decimal("1234.5"), "1 234,50 €"),
        (Decimal("1234567.891"), "1 234 567,89 €"),
        (Decimal("0"), "0,00 €"),
        (Decimal("-12"), "-12,00 €"),
        (Decimal("999.995"), "1 000,00 €"),
    ],
)
def test_format_euros_reads_the_french_way(value, expected):
    assert format_euros(value) == expected


def test_format_euros_signed_and_empty():
    assert format_euros(Decimal("7.72"), signed=True) == "+7,72 €"
    assert format_euros(Decimal("0"), signed=True) == "0,00 €"
    assert format_euros(None) == ""
