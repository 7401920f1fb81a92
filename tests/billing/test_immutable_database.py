"""Below the ORM: on PostgreSQL the database refuses to change what the ledger recorded."""

from datetime import date
from decimal import Decimal

from django.db import DatabaseError, connection, transaction

import pytest

from billing.ledger.services import (
    create_draft_credit_note,
    create_draft_invoice,
    issue_credit_note,
    issue_invoice,
    record_payment,
)
from billing.models import Allocation, Invoice, LedgerEntry, Payment
from tests.factories.billing import line

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="database triggers exist on PostgreSQL only"
    ),
]


def refused(sql, *params):
    """Run raw SQL in a savepoint; True when the database refuses it."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        assert "refused" in str(exc)
        return True
    return False


@pytest.fixture
def ledger(family):
    draft = create_draft_invoice(family, [line("30.00")])
    invoice = issue_invoice(draft, issue_date=date(2026, 3, 1), notify=False)
    payment = record_payment(family, Decimal("10.00"), "virement", on_date=date(2026, 3, 5))
    note = create_draft_credit_note(invoice, "Erreur", [(invoice.lines.get(), Decimal("0.1"))])
    note = issue_credit_note(note, issue_date=date(2026, 3, 6), render_pdf=False)
    return invoice, payment, note


def test_issued_documents_and_their_lines_cannot_be_changed_or_deleted(ledger):
    invoice, _payment, note = ledger
    assert invoice.pdf  # attached once, after the number was taken: allowed
    assert refused("UPDATE billing_invoice SET total = 0 WHERE id = %s", invoice.pk)
    assert refused("UPDATE billing_invoice SET pdf = 'other.pdf' WHERE id = %s", invoice.pk)
    assert refused("DELETE FROM billing_invoice WHERE id = %s", invoice.pk)
    assert refused("UPDATE billing_invoiceline SET amount = 1 WHERE invoice_id = %s", invoice.pk)
    assert refused("DELETE FROM billing_invoiceline WHERE invoice_id = %s", invoice.pk)
    assert refused("UPDATE billing_creditnote SET total = 99 WHERE id = %s", note.pk)
    assert refused("DELETE FROM billing_creditnoteline WHERE credit_note_id = %s", note.pk)
    invoice.refresh_from_db()
    assert invoice.total == Decimal("30.00")


def test_payments_allocations_and_journal_are_append_only(ledger):
    _invoice, payment, _note = ledger
    assert refused("UPDATE billing_payment SET amount = 1000 WHERE id = %s", payment.pk)
    assert refused("DELETE FROM billing_payment WHERE id = %s", payment.pk)
    allocation = Allocation.objects.filter(payment=payment).first()
    assert refused("UPDATE billing_allocation SET amount = 1 WHERE id = %s", allocation.pk)
    assert refused("DELETE FROM billing_allocation WHERE id = %s", allocation.pk)
    entry = LedgerEntry.objects.filter(payment=payment).first()
    assert refused("UPDATE billing_ledgerentry SET credit = 0 WHERE id = %s", entry.pk)
    assert refused("DELETE FROM billing_ledgerentry WHERE id = %s", entry.pk)
    assert Payment.objects.get(pk=payment.pk).amount == Decimal("10.00")


def test_drafts_stay_free_to_edit_and_delete(family):
    draft = create_draft_invoice(family, [line("12.00")])
    assert not refused("UPDATE billing_invoice SET note = 'corrigé' WHERE id = %s", draft.pk)
    assert not refused("UPDATE billing_invoiceline SET label = 'x' WHERE invoice_id = %s", draft.pk)
    assert not refused("DELETE FROM billing_invoiceline WHERE invoice_id = %s", draft.pk)
    assert not refused("DELETE FROM billing_invoice WHERE id = %s", draft.pk)
    assert not Invoice.objects.filter(pk=draft.pk).exists()
