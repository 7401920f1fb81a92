from datetime import date, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import transaction
from django.db.models import Sum
from django.utils import translation

from wagtail.models import ModelLogEntry

import pytest

from billing.ledger import services
from billing.ledger.services import BillingError, family_balance, record_payment, reverse_payment
from billing.models import (
    Allocation,
    Category,
    CreditNote,
    CreditNoteLine,
    DocumentSequence,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Payment,
    PaymentMethod,
    PaymentReversal,
)
from core.immutable import ImmutableError
from tests.factories.billing import draft_invoice, issued_invoice, line
from tests.factories.parents import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = date(2012, 3, 9)
APRIL = date(2012, 4, 3)


def net_allocated(invoice_line):
    return invoice_line.allocations.aggregate(total=Sum("amount"))["total"] or D("0")


def lines_of(invoice):
    return list(invoice.lines.order_by("sort_order"))


def cheque(family, amount, number="9038108", **kwargs):
    return record_payment(family, D(amount), PaymentMethod.CHEQUE, cheque_number=number, **kwargs)


def care_and_meals(family, care="30.00", meals="10.00", **kwargs):
    return issued_invoice(
        family,
        line(care, category=Category.GARDE),
        line(meals, category=Category.REPAS),
        issue_date=kwargs.pop("issue_date", MARCH),
        **kwargs,
    )


# --- Issuing -----------------------------------------------------------------------------


def test_a_draft_has_no_number_and_takes_none_from_the_series(brax, family):
    draft = draft_invoice(family, line("3.86", quantity="2"))
    assert draft.number == ""
    assert draft.is_draft
    assert not DocumentSequence.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert family_balance(family) == D("0.00")


def test_issue_invoice_numbers_and_freezes_totals_and_addressee(brax, family, guardian):
    lea = family.children.get()
    draft = draft_invoice(
        family,
        line("3.86", quantity="2", child=lea, on=date(2012, 2, 29)),
        line("0.67", quantity="1.5", category=Category.REPAS, child=lea, on=date(2012, 3, 7)),
    )
    invoice = services.issue_invoice(draft, issue_date=MARCH, render_pdf=False, notify=False)

    invoice.refresh_from_db()
    assert invoice.number == "2L2012/0001EN"
    assert invoice.status == "issued"
    assert invoice.total == D("8.73")  # 7,72 + 1,01 (1,5 × 0,67 = 1,005 rounded once)
    assert invoice.issue_date == MARCH
    assert invoice.due_date == MARCH + timedelta(days=30)
    assert (invoice.period_start, invoice.period_end) == (date(2012, 2, 29), date(2012, 3, 7))
    assert invoice.billed_name == "Marie DUPONT"
    assert invoice.billed_address == "1 rue de la Paix\n31490 Brax"
    entries = list(LedgerEntry.objects.for_family(family).values_list("label", "debit", "child"))
    assert entries == [("Facture 2L2012/0001EN", D("8.73"), lea.pk)]
    assert family_balance(family) == D("8.73")

    # The family moves: the issued invoice still shows where it was sent.
    family.address_line1 = "8 avenue des Pins"
    family.save()
    invoice.refresh_from_db()
    assert invoice.billed_address == "1 rue de la Paix\n31490 Brax"


def test_one_account_row_per_child_in_birth_order(brax, family):
    lea = family.children.get()
    hugo = ChildFactory(family=family, first_name="Hugo", birth_date=date(2019, 1, 1))
    issued_invoice(
        family,
        line("3.59", child=lea),
        line("3.62", quantity="5", child=hugo),
        line("2.00", category=Category.REPAS, child=lea),
        issue_date=APRIL,
    )
    rows = list(LedgerEntry.objects.for_family(family).values_list("debit", "child"))
    assert rows == [(D("5.59"), lea.pk), (D("18.10"), hugo.pk)]


def test_issuing_twice_is_refused(family):
    invoice = issued_invoice(family, issue_date=MARCH)
    with pytest.raises(BillingError, match="déjà émise"):
        services.issue_invoice(invoice, render_pdf=False, notify=False)
    assert LedgerEntry.objects.count() == 1


def test_line_validation(family, other_guardian):
    stranger = ChildFactory(family=other_guardian.family)
    with pytest.raises(BillingError, match="ne peut pas être négatif"):
        draft_invoice(family, line("-1.00"))
    with pytest.raises(BillingError, match="n'appartient pas à la famille"):
        draft_invoice(family, line("1.00", child=stranger))
    with pytest.raises(BillingError, match="au moins une ligne"):
        services.create_draft_invoice(family, [])
    assert not Invoice.objects.exists()


# --- Immutability ------------------------------------------------------------------------


def test_a_draft_can_be_edited_and_deleted(family):
    draft = draft_invoice(family, line("10.00"))
    draft.note = "Tarif QF2"
    draft.save()
    draft_line = draft.lines.get()
    draft_line.quantity = D("2")
    draft_line.save()
    InvoiceLine.objects.filter(invoice=draft).update(label="Mercredi matin")

    invoice = services.issue_invoice(draft, issue_date=MARCH, render_pdf=False, notify=False)
    # Issuing recomputes a line whose quantity was edited after the draft was made.
    assert invoice.total == D("20.00")
    assert invoice.lines.get().label == "Mercredi matin"

    other = draft_invoice(family, line("5.00"))
    services.delete_draft_invoice(other)
    assert list(Invoice.objects.all()) == [invoice]
    assert InvoiceLine.objects.count() == 1


def test_an_issued_invoice_and_its_lines_cannot_change(family):
    invoice = issued_invoice(family, line("30.00"), line("10.00"), issue_date=MARCH)
    first_line = invoice.lines.first()

    # The very instance the service returns is as locked as a fresh copy.
    invoice.note = "Corrigé à la main"
    with pytest.raises(ImmutableError, match="pièce émise"):
        invoice.save()
    stale = Invoice.objects.get(pk=invoice.pk)
    stale.total = D("0.00")
    with pytest.raises(ImmutableError, match="pièce émise"):
        stale.save()
    with pytest.raises(ImmutableError):
        Invoice.objects.get(pk=invoice.pk).delete()
    with pytest.raises(BillingError):
        services.delete_draft_invoice(invoice)
    with pytest.raises(ImmutableError):
        Invoice.objects.filter(pk=invoice.pk).update(total=D("0.00"))
    with pytest.raises(ImmutableError):
        Invoice.objects.filter(family=family).delete()

    first_line.unit_price = D("1.00")
    with pytest.raises(ImmutableError):
        first_line.save()
    with pytest.raises(ImmutableError):
        InvoiceLine.objects.get(pk=first_line.pk).delete()
    with pytest.raises(ImmutableError):
        InvoiceLine.objects.filter(invoice=invoice).update(amount=D("0.00"))
    with pytest.raises(ImmutableError):
        InvoiceLine.objects.filter(invoice=invoice).delete()
    with pytest.raises(ImmutableError):
        InvoiceLine.objects.create(
            invoice=invoice,
            label="Ajout",
            service_date=MARCH,
            quantity=D("1"),
            unit_price=D("5.00"),
            amount=D("5.00"),
        )

    invoice.refresh_from_db()
    assert (invoice.total, invoice.note) == (D("40.00"), "")
    assert [ln.amount for ln in lines_of(invoice)] == [D("30.00"), D("10.00")]
    assert family_balance(family) == D("40.00")


def test_an_issued_credit_note_and_a_payment_cannot_change(family):
    invoice = issued_invoice(family, line("30.00"), issue_date=MARCH)
    credit_note = services.issue_credit_note(
        services.create_draft_credit_note(invoice, "Absence justifiée"),
        issue_date=APRIL,
        render_pdf=False,
    )
    payment = cheque(family, "5.00")

    for obj in (credit_note, credit_note.lines.get(), payment):
        with pytest.raises(ImmutableError):
            obj.save()
        with pytest.raises(ImmutableError):
            type(obj).objects.get(pk=obj.pk).delete()
    with pytest.raises(ImmutableError):
        CreditNote.objects.filter(pk=credit_note.pk).update(total=D("1.00"))
    with pytest.raises(ImmutableError):
        CreditNoteLine.objects.filter(credit_note=credit_note).update(amount=D("1.00"))
    with pytest.raises(ImmutableError):
        CreditNoteLine.objects.filter(credit_note=credit_note).delete()
    with pytest.raises(ImmutableError):
        Payment.objects.filter(pk=payment.pk).update(amount=D("500.00"))
    with pytest.raises(ImmutableError):
        Payment.objects.filter(family=family).delete()
    with pytest.raises(BillingError, match="déjà émis"):
        services.issue_credit_note(credit_note, render_pdf=False)

    assert CreditNote.objects.get().total == D("30.00")
    assert Payment.objects.get().amount == D("5.00")
    assert family_balance(family) == D("-5.00")


# --- Credit notes --------------------------------------------------------------------------


def test_a_credit_note_cannot_exceed_the_invoiced_amount(family):
    invoice = issued_invoice(family, line("10.00", quantity="2"), issue_date=MARCH)
    invoice_line = invoice.lines.get()

    too_much = services.create_draft_credit_note(invoice, "Erreur", [(invoice_line, D("3"))])
    with pytest.raises(BillingError, match="au-delà du montant facturé"):
        services.issue_credit_note(too_much, render_pdf=False)

    first = services.create_draft_credit_note(invoice, "Absence", [(invoice_line, D("1.5"))])
    services.issue_credit_note(first, issue_date=APRIL, render_pdf=False)
    second = services.create_draft_credit_note(invoice, "Absence", [(invoice_line, D("1"))])
    with pytest.raises(BillingError, match="au-delà du montant facturé"):
        services.issue_credit_note(second, render_pdf=False)

    assert CreditNote.objects.filter(status="issued").count() == 1
    assert family_balance(family) == D("5.00")  # 20,00 − 15,00
    assert net_allocated(invoice_line) == D("15.00")


def test_a_credit_note_settles_the_lines_it_corrects(family):
    older = issued_invoice(family, line("12.00"), issue_date=MARCH)
    newer = issued_invoice(family, line("30.00"), line("10.00"), issue_date=APRIL)
    meals = lines_of(newer)[1]
    credit_note = services.issue_credit_note(
        services.create_draft_credit_note(newer, "Repas non pris", [(meals, D("1"))]),
        issue_date=APRIL,
        render_pdf=False,
    )
    assert credit_note.number == "AV2012/0001"
    assert net_allocated(meals) == D("10.00")
    assert net_allocated(older.lines.get()) == D("0")
    entry = LedgerEntry.objects.get(credit_note=credit_note)
    assert (entry.label, entry.credit) == ("Avoir AV2012/0001", D("10.00"))
    assert family_balance(family) == D("42.00")


# --- Payments and allocation -------------------------------------------------------------


def test_a_payment_settles_the_oldest_open_lines_first(family):
    older = issued_invoice(family, line("10.00"), issue_date=MARCH)
    newer = issued_invoice(family, line("20.00"), issue_date=APRIL)
    payment = cheque(family, "15.00", on_date=date(2012, 4, 10))

    assert net_allocated(older.lines.get()) == D("10.00")
    assert net_allocated(newer.lines.get()) == D("5.00")
    assert family_balance(family) == D("15.00")
    entry = LedgerEntry.objects.get(payment=payment)
    assert (entry.label, entry.credit, entry.debit) == (
        "Règlement Chèques 9038108",
        D("15.00"),
        D("0.00"),
    )
    assert services.allocate(family) == []  # nothing left to allocate: idempotent


def test_a_partial_payment_is_split_pro_rata_between_care_and_meals(family):
    invoice = care_and_meals(family, "30.00", "10.00")
    cheque(family, "20.00")
    care, meals = lines_of(invoice)
    assert (net_allocated(care), net_allocated(meals)) == (D("15.00"), D("5.00"))


def test_pro_rata_gives_the_leftover_cent_to_the_largest_remainder(family):
    invoice = care_and_meals(family, "20.00", "10.00")
    cheque(family, "10.00")
    care, meals = lines_of(invoice)
    # 10 × 20/30 = 6,666… and 10 × 10/30 = 3,333…: the cent goes to care.
    assert (net_allocated(care), net_allocated(meals)) == (D("6.67"), D("3.33"))


def test_pro_rata_split_always_sums_to_the_amount():
    assert services.split_pro_rata(D("10.00"), [D("10"), D("10"), D("10")]) == [
        D("3.34"),
        D("3.33"),
        D("3.33"),
    ]
    assert services.split_pro_rata(D("0.01"), [D("3"), D("1")]) == [D("0.01"), D("0.00")]
    assert services.split_pro_rata(D("5.00"), [D("0")]) == [D("0.00")]


def test_a_prepayment_is_used_when_the_invoice_is_issued(family):
    record_payment(family, D("25.00"), PaymentMethod.CASH, on_date=date(2012, 3, 1))
    assert family_balance(family) == D("-25.00")
    assert not Allocation.objects.exists()

    invoice = care_and_meals(family, "30.00", "10.00")
    care, meals = lines_of(invoice)
    assert (net_allocated(care), net_allocated(meals)) == (D("18.75"), D("6.25"))
    assert invoice.paid_at_issue == D("25.00")
    assert invoice.left_to_pay_at_issue == D("15.00")
    assert Invoice.objects.get().paid_at_issue == D("25.00")
    assert family_balance(family) == D("15.00")


def test_a_prepayment_larger_than_the_invoice_leaves_a_credit(family):
    record_payment(family, D("50.00"), PaymentMethod.TRANSFER, on_date=date(2012, 3, 1))
    invoice = care_and_meals(family, "30.00", "10.00")
    assert invoice.paid_at_issue == D("40.00")
    assert invoice.left_to_pay_at_issue == D("0.00")
    assert family_balance(family) == D("-10.00")


def test_paid_at_issue_counts_only_what_settles_this_invoice(family):
    # An older invoice is still open when a payment arrives: the payment settles it, and
    # the next invoice starts with nothing paid.
    issued_invoice(family, line("10.00"), issue_date=MARCH)
    cheque(family, "4.00")
    invoice = issued_invoice(family, line("20.00"), issue_date=APRIL)
    assert invoice.paid_at_issue == D("0.00")
    assert family_balance(family) == D("26.00")


def test_a_card_payment_recorded_twice_is_one_payment(family):
    issued_invoice(family, line("40.00"), issue_date=MARCH)
    first = record_payment(family, D("40.00"), PaymentMethod.CARD_ONLINE, reference="pi_3Nx")
    again = record_payment(family, D("40.00"), PaymentMethod.CARD_ONLINE, reference="pi_3Nx")
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(payment=first).count() == 1
    assert family_balance(family) == D("0.00")


def test_payment_validation(family, other_guardian):
    with pytest.raises(BillingError, match="numéro du chèque"):
        record_payment(family, D("10.00"), PaymentMethod.CHEQUE)
    with pytest.raises(BillingError, match="doit être positif"):
        record_payment(family, D("0"), PaymentMethod.CASH)
    with pytest.raises(BillingError, match="autre famille"):
        record_payment(family, D("10.00"), PaymentMethod.CASH, payer=other_guardian)
    assert not Payment.objects.exists()


def test_stored_labels_are_in_french_whoever_records_them(family):
    # A director whose admin is in English records the payment: parents still read French.
    with translation.override("en"):
        invoice = issued_invoice(family, line("10.00"), issue_date=MARCH)
        payment = cheque(family, "10.00")
        reverse_payment(payment, reason=PaymentReversal.Reason.BOUNCED)
    labels = list(LedgerEntry.objects.order_by("id").values_list("label", flat=True))
    assert labels == [
        f"Facture {invoice.number}",
        "Règlement Chèques 9038108",
        "Rejet — Règlement Chèques 9038108",
    ]


# --- Reversals -----------------------------------------------------------------------------


def test_a_bounced_cheque_puts_the_debt_back(family):
    invoice = issued_invoice(family, line("3.86", quantity="2"), issue_date=MARCH)
    payment = cheque(family, "7.72", on_date=date(2012, 3, 22))
    invoice_line = invoice.lines.get()
    assert family_balance(family) == D("0.00")

    reversal = reverse_payment(
        payment, reason=PaymentReversal.Reason.BOUNCED, on_date=date(2012, 3, 30)
    )

    entry = LedgerEntry.objects.get(reversal=reversal)
    assert (entry.label, entry.debit, entry.credit, entry.date) == (
        "Rejet — Règlement Chèques 9038108",
        D("7.72"),
        D("0.00"),
        date(2012, 3, 30),
    )
    assert family_balance(family) == D("7.72")
    rows = list(invoice_line.allocations.order_by("id").values_list("amount", "reversal"))
    assert rows == [(D("7.72"), None), (D("-7.72"), reversal.pk)]
    assert net_allocated(invoice_line) == D("0.00")
    assert services.open_lines(family) == [(invoice_line, D("7.72"))]
    payment.refresh_from_db()
    assert payment.amount == D("7.72")  # the payment itself is history, untouched


def test_a_refund_reads_as_a_refund(family):
    payment = record_payment(family, D("15.00"), PaymentMethod.CASH)
    reverse_payment(payment, reason=PaymentReversal.Reason.REFUND)
    assert (
        LedgerEntry.objects.get(reversal__isnull=False).label == "Remboursement — Règlement Espèces"
    )
    assert family_balance(family) == D("0.00")


def test_a_partial_reversal_keeps_care_and_meals_in_proportion(family):
    invoice = care_and_meals(family, "30.00", "10.00")
    payment = cheque(family, "20.00")
    reverse_payment(payment, reason=PaymentReversal.Reason.BOUNCED, amount=D("8.00"))

    care, meals = lines_of(invoice)
    # 12,00 stay paid on a 30 + 10 invoice: 9,00 of care and 3,00 of meals, as if 12,00 had
    # been paid in the first place (the yearly certificate counts care only).
    assert (net_allocated(care), net_allocated(meals)) == (D("9.00"), D("3.00"))
    assert family_balance(family) == D("28.00")


def test_a_reversal_frees_unallocated_credit_first(family):
    invoice = issued_invoice(family, line("10.00"), issue_date=MARCH)
    payment = cheque(family, "25.00")
    reverse_payment(payment, reason=PaymentReversal.Reason.REFUND, amount=D("15.00"))
    assert net_allocated(invoice.lines.get()) == D("10.00")
    assert not Allocation.objects.filter(amount__lt=0).exists()
    assert family_balance(family) == D("0.00")


def test_a_reversal_cannot_exceed_what_is_left_of_the_payment(family):
    payment = cheque(family, "20.00")
    reverse_payment(payment, reason=PaymentReversal.Reason.REFUND, amount=D("15.00"))
    with pytest.raises(BillingError, match="Seuls 5,00 € de ce règlement"):
        reverse_payment(payment, reason=PaymentReversal.Reason.REFUND, amount=D("10.00"))
    with pytest.raises(BillingError, match="doit être positif"):
        reverse_payment(payment, reason=PaymentReversal.Reason.REFUND, amount=D("0"))
    assert PaymentReversal.objects.count() == 1
    assert family_balance(family) == D("-5.00")


def test_a_reversal_is_idempotent_on_its_reference(family):
    issued_invoice(family, line("40.00"), issue_date=MARCH)
    payment = record_payment(family, D("40.00"), PaymentMethod.CARD_ONLINE, reference="pi_1")
    first = reverse_payment(payment, reason=PaymentReversal.Reason.REFUND, reference="re_1")
    again = reverse_payment(payment, reason=PaymentReversal.Reason.REFUND, reference="re_1")
    assert again.pk == first.pk
    assert PaymentReversal.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REVERSAL).count() == 1
    assert family_balance(family) == D("40.00")


# --- Manual allocation -------------------------------------------------------------------


def test_reallocate_moves_a_payment_to_another_line(family, director):
    older = issued_invoice(family, line("10.00"), issue_date=MARCH)
    newer = issued_invoice(family, line("10.00"), issue_date=APRIL)
    payment = cheque(family, "10.00")
    old_line, new_line = older.lines.get(), newer.lines.get()
    assert net_allocated(old_line) == D("10.00")

    services.reallocate(payment, {new_line: D("10.00")}, by=director)

    assert (net_allocated(old_line), net_allocated(new_line)) == (D("0"), D("10.00"))
    history = list(Allocation.objects.order_by("id").values_list("invoice_line", "amount"))
    assert history == [
        (old_line.pk, D("10.00")),
        (old_line.pk, D("-10.00")),
        (new_line.pk, D("10.00")),
    ]
    assert family_balance(family) == D("10.00")


def test_reallocate_refuses_more_than_the_payment_and_changes_nothing(family, other_guardian):
    invoice = issued_invoice(family, line("30.00"), issue_date=MARCH)
    payment = cheque(family, "10.00")
    invoice_line = invoice.lines.get()
    with pytest.raises(BillingError, match="dépassent le règlement"):
        services.reallocate(payment, {invoice_line: D("15.00")})
    stranger = issued_invoice(other_guardian.family, line("5.00"), issue_date=MARCH)
    with pytest.raises(BillingError, match="autre famille"):
        services.reallocate(payment, {stranger.lines.get(): D("5.00")})
    assert list(Allocation.objects.values_list("amount", flat=True)) == [D("10.00")]


# --- Audit ---------------------------------------------------------------------------------


def audit_actions(instance):
    return set(
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(instance),
            object_id=str(instance.pk),
        ).values_list("action", flat=True)
    )


def test_every_money_operation_leaves_an_audit_entry(family, director):
    invoice = issued_invoice(family, line("30.00"), issue_date=MARCH, by=director)
    credit_note = services.issue_credit_note(
        services.create_draft_credit_note(invoice, "Absence", [(invoice.lines.get(), D("0.5"))]),
        render_pdf=False,
        by=director,
    )
    payment = cheque(family, "15.00", by=director)
    reverse_payment(payment, reason=PaymentReversal.Reason.BOUNCED, by=director)

    assert audit_actions(invoice) == {"wagtail.create", "billing.issue_invoice"}
    assert audit_actions(credit_note) == {"billing.issue_credit_note"}
    assert audit_actions(payment) == {"billing.record_payment", "billing.reverse_payment"}
    entry = ModelLogEntry.objects.get(action="billing.issue_invoice")
    assert entry.user == director
    assert entry.data == {"number": invoice.number}


# --- Email ---------------------------------------------------------------------------------


def test_issuing_emails_the_guardians_once_committed(
    brax, family, guardian, django_capture_on_commit_callbacks
):
    FamilyFactory(structure=brax)  # another family's guardians hear nothing
    draft = draft_invoice(family, line("30.00"), line("6.07", category=Category.REPAS))
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_invoice(draft, issue_date=MARCH, render_pdf=False)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["parent.test@example.org"]
    assert message.subject == "Nouvelle facture 2L2012/0001EN — Commune de Brax"
    assert "La facture 2L2012/0001EN du 9 mars 2012 est disponible" in message.body
    assert "36,07 €" in message.body
    assert "http://testserver/espace-famille/compte/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<a href="http://testserver/espace-famille/compte/">' in html
    assert "36,07 €" in html


def test_the_plain_text_part_is_not_html_escaped(
    brax, family, guardian, django_capture_on_commit_callbacks, settings
):
    """ "Loisirs & Jeunesse" reads as such in the text part, and links name SITE_URL."""
    settings.SITE_URL = "http://127.0.0.1:8001"
    brax.name = "Brax & Lévignac"
    brax.save(update_fields=["name"])
    draft = draft_invoice(family, line("30.00"))
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_invoice(draft, issue_date=MARCH, render_pdf=False)

    message = mail.outbox[0]
    assert "Brax & Lévignac" in message.subject
    assert "Brax & Lévignac" in message.body
    assert "&amp;" not in message.subject + message.body
    assert "http://127.0.0.1:8001/espace-famille/compte/" in message.body
    html, _mimetype = message.alternatives[0]
    assert "Brax &amp; Lévignac" in html


def test_every_plain_text_template_turns_html_escaping_off():
    """Text parts and subjects are not HTML: each .txt template says so itself."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    texts = sorted(templates.rglob("*.txt"))
    assert texts
    assert [str(p) for p in texts if "{% autoescape off %}" not in p.read_text()] == []


def test_no_email_when_the_issue_is_rolled_back(
    family, guardian, django_capture_on_commit_callbacks
):
    draft = draft_invoice(family, line("30.00"))
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.issue_invoice(draft, issue_date=MARCH, render_pdf=False)
        raise RuntimeError("the caller fails after issuing")
    assert mail.outbox == []
    assert Invoice.objects.get().is_draft
