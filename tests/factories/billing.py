from datetime import date
from decimal import Decimal

import factory

from billing.ledger.services import LineData, create_draft_invoice, issue_invoice
from billing.models import Category, Invoice, InvoiceLine, LedgerEntry, OnlinePaymentSettings
from core.money import line_amount

from .parents import FamilyFactory


class InvoiceFactory(factory.django.DjangoModelFactory):
    """A draft invoice; issue it with `billing.ledger.services.issue_invoice`."""

    class Meta:
        model = Invoice

    family = factory.SubFactory(FamilyFactory)
    structure = factory.LazyAttribute(lambda invoice: invoice.family.structure)


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    label = "Mercredi journée"
    category = Category.GARDE
    service_date = date(2012, 2, 29)
    quantity = Decimal("1")
    unit_price = Decimal("10.00")
    amount = factory.LazyAttribute(lambda line: line_amount(line.quantity, line.unit_price))


class LedgerEntryFactory(factory.django.DjangoModelFactory):
    """A bare journal row, for volume tests only: real rows come from the services."""

    class Meta:
        model = LedgerEntry

    family = factory.SubFactory(FamilyFactory)
    date = date(2012, 1, 1)
    kind = LedgerEntry.Kind.INVOICE
    label = factory.Sequence(lambda n: f"Facture T{n:05d}")
    debit = Decimal("1.00")
    credit = Decimal("0.00")


def line(unit_price, *, quantity="1", category=Category.GARDE, child=None, label=None, on=None):
    """One `LineData` for the services, amounts given as strings of euros."""
    return LineData(
        label=label or category.label,
        service_date=on or date(2012, 3, 14),
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        category=category,
        child=child,
    )


def draft_invoice(family, *lines):
    return create_draft_invoice(family, list(lines) or [line("10.00")])


def issued_invoice(family, *lines, issue_date=None, **kwargs):
    """A draft made of `lines` and issued on `issue_date`, without email unless asked."""
    kwargs.setdefault("notify", False)
    kwargs.setdefault("render_pdf", False)
    return issue_invoice(draft_invoice(family, *lines), issue_date=issue_date, **kwargs)


def free_amount(structure, allowed=True):
    """Let (or stop) the structure's parents choose the amount of an online payment."""
    settings, _ = OnlinePaymentSettings.objects.update_or_create(
        structure=structure, defaults={"free_amount": allowed}
    )
    return settings
