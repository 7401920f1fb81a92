"""Demo account histories. DUPONT gets exactly the manual's 2012 history (balance 36,07 €)."""

from datetime import date
from decimal import Decimal

from parents.models import Family, Structure

from . import services
from .models import Category, Invoice, Payment, PaymentMethod
from .services import LineData


def _invoice(family, number, issue_date, lines):
    existing = Invoice.objects.filter(structure=family.structure, number=number).first()
    if existing:
        return existing
    draft = services.create_draft_invoice(family, lines)
    return services.issue_invoice(draft, issue_date=issue_date, number=number, notify=False)


def load():
    brax = Structure.objects.get(slug="brax")
    if brax.invoice_prefix != "2L" or brax.invoice_suffix != "EN":
        brax.invoice_prefix, brax.invoice_suffix = "2L", "EN"
        brax.save(update_fields=["invoice_prefix", "invoice_suffix"])
    levignac = Structure.objects.get(slug="levignac")
    if levignac.invoice_prefix != "LV":
        levignac.invoice_prefix = "LV"
        levignac.save(update_fields=["invoice_prefix"])

    dupont = Family.objects.get(structure=brax, reference="DUP001")
    lea = dupont.children.get(first_name="Léa")
    hugo = dupont.children.get(first_name="Hugo")
    _invoice(
        dupont,
        "2L2012/0038EN",
        date(2012, 3, 9),
        [
            LineData(
                "Mercredi journée",
                date(2012, 2, 29),
                Decimal("2"),
                Decimal("3.86"),
                Category.GARDE,
                child=hugo,
                service_end=date(2012, 3, 7),
            ),
        ],
    )
    if not Payment.objects.filter(family=dupont, cheque_number="9038108").exists():
        services.record_payment(
            dupont,
            Decimal("7.72"),
            PaymentMethod.CHEQUE,
            on_date=date(2012, 3, 22),
            cheque_number="9038108",
            payer=dupont.guardians.first(),
        )
    _invoice(
        dupont,
        "2L2012/0156EN",
        date(2012, 4, 3),
        [
            LineData(
                "Mercredi matin",
                date(2012, 3, 14),
                Decimal("1"),
                Decimal("3.59"),
                Category.GARDE,
                child=lea,
            ),
            LineData(
                "Journée vacances",
                date(2012, 3, 19),
                Decimal("5"),
                Decimal("3.62"),
                Category.GARDE,
                child=hugo,
                service_end=date(2012, 3, 23),
            ),
        ],
    )
    _invoice(
        dupont,
        "2L2012/0268EN",
        date(2012, 4, 23),
        [
            LineData(
                "Journée vacances de Pâques",
                date(2012, 4, 10),
                Decimal("2"),
                Decimal("5.19"),
                Category.GARDE,
                child=hugo,
                service_end=date(2012, 4, 11),
            ),
            LineData(
                "Repas",
                date(2012, 4, 10),
                Decimal("2"),
                Decimal("2.00"),
                Category.REPAS,
                child=hugo,
                service_end=date(2012, 4, 11),
            ),
        ],
    )

    bernard = Family.objects.get(structure=levignac, reference="BER001")
    nina = bernard.children.get(first_name="Nina")
    _invoice(
        bernard,
        "LV2026/0001",
        date(2026, 10, 5),
        [
            LineData(
                "Mercredis de septembre (journée)",
                date(2026, 9, 2),
                Decimal("4"),
                Decimal("9.50"),
                Category.GARDE,
                child=nina,
                service_end=date(2026, 9, 30),
            ),
            LineData(
                "Repas",
                date(2026, 9, 2),
                Decimal("4"),
                Decimal("3.20"),
                Category.REPAS,
                child=nina,
                service_end=date(2026, 9, 30),
            ),
        ],
    )
    if not Payment.objects.filter(family=bernard).exists():
        services.record_payment(
            bernard,
            Decimal("20.00"),
            PaymentMethod.CASH,
            on_date=date(2026, 10, 12),
            payer=bernard.guardians.first(),
        )
