"""Mandates, batches, the bank file and rejects, through the services a director and the
daily command use, read back from the ledger a parent sees.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

import pytest
from lxml import etree

from billing.direct_debit import services as dd
from billing.direct_debit.models import DebitBatch, DebitLine, Mandate
from billing.ledger.services import BillingError, family_balance, record_payment
from billing.models import Invoice, LedgerEntry, Payment, PaymentMethod, PaymentReversal
from tests.factories.billing import issued_invoice, line
from tests.factories.direct_debit import (
    IBAN_DE,
    IBAN_FR,
    IBAN_FR_2,
    active_mandate,
    direct_debit_settings,
)
from tests.factories.parents import FamilyFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 16)
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


@pytest.fixture
def settings_on(structure):
    return direct_debit_settings(structure)


def owing(family, amount, on=date(2026, 10, 1)):
    return issued_invoice(family, line(amount), issue_date=on)


# --- IBAN ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ("FR7630006000011234567890188", "iban", "clé de contrôle est fausse"),
        ("FR76300060000112345678901", "iban", "nombre de caractères"),
        ("US64SVBKUS6S3300958879", "iban", "code pays"),
        ("", "iban", "Saisissez l'IBAN"),
        ("FR76 3000 6000 0112 3456 7890 1%9", "iban", "n'est pas valide"),
    ],
)
def test_wrong_ibans_are_refused_with_a_reason(value, field, message):
    with pytest.raises(ValidationError) as caught:
        dd.validate_iban(value)
    assert field in caught.value.message_dict
    assert message in caught.value.message_dict[field][0]


def test_iban_spaces_and_case_are_ignored_and_the_bic_is_derived():
    assert dd.validate_iban("fr76 3000 6000 0112 3456 7890 189") == (IBAN_FR, "AGRIFRPPXXX")


def test_a_bic_from_another_country_or_malformed_is_refused():
    with pytest.raises(ValidationError) as caught:
        dd.validate_iban(IBAN_FR, "COBADEFFXXX")
    assert "autre pays" in caught.value.message_dict["bic"][0]
    with pytest.raises(ValidationError) as caught:
        dd.validate_iban(IBAN_FR, "AB12")
    assert "bic" in caught.value.message_dict


def test_a_given_bic_is_kept_when_valid():
    assert dd.validate_iban(IBAN_DE, "COBADEFF") == (IBAN_DE, "COBADEFF")


# --- Mandates --------------------------------------------------------------------------------


def test_online_signature_keeps_its_evidence_and_waits_for_the_director(
    settings_on, family, guardian, director
):
    mandate = dd.sign_mandate(
        family,
        holder_name="  Marie   DUPONT ",
        iban="FR76 3000 6000 0112 3456 7890 189",
        consent=True,
        user=guardian.user,
        ip_address="203.0.113.7",
    )
    assert mandate.status == Mandate.Status.WAITING
    assert mandate.kind == Mandate.Kind.ELECTRONIC
    assert mandate.holder_name == "Marie DUPONT"
    assert mandate.signed_ip == "203.0.113.7"
    assert mandate.signed_by == guardian.user
    assert mandate.signed_at is not None
    assert mandate.iban_last4 == "0189"
    assert mandate.masked_iban == "•••• 0189"
    assert len(mandate.reference) <= 35
    assert mandate.mandate_text == settings_on.mandate_text
    assert mandate.pdf.name.endswith(".pdf")

    dd.validate_mandate(mandate, by=director)
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE
    assert mandate.validated_by == director


def test_the_iban_is_encrypted_in_the_database(settings_on, family, guardian):
    mandate = active_mandate(family)
    with connection.cursor() as cursor:
        cursor.execute("SELECT iban FROM billing_mandate WHERE id = %s", [mandate.pk])
        raw = cursor.fetchone()[0]
    assert IBAN_FR not in raw
    assert "0189" not in raw
    assert Mandate.objects.get(pk=mandate.pk).iban == IBAN_FR


def test_rotating_the_key_reencrypts_and_the_old_key_can_go(settings, settings_on, family):
    from cryptography.fernet import Fernet

    old_key = settings.IBAN_ENCRYPTION_KEYS[0]
    mandate = active_mandate(family)
    new_key = Fernet.generate_key().decode()
    settings.IBAN_ENCRYPTION_KEYS = [new_key, old_key]
    assert dd.rotate_iban_encryption() == 1
    settings.IBAN_ENCRYPTION_KEYS = [new_key]
    assert Mandate.objects.get(pk=mandate.pk).iban == IBAN_FR


def test_no_signature_without_consent_or_when_the_structure_does_not_offer_it(
    structure, family, guardian
):
    kwargs = {"holder_name": "Marie", "iban": IBAN_FR, "user": guardian.user, "ip_address": None}
    with pytest.raises(BillingError):
        dd.sign_mandate(family, consent=True, **kwargs)
    direct_debit_settings(structure)
    with pytest.raises(ValidationError) as caught:
        dd.sign_mandate(family, consent=False, **kwargs)
    assert "consent" in caught.value.message_dict
    assert not Mandate.objects.exists()


def test_one_mandate_at_a_time_then_a_new_one_after_revocation(settings_on, family, director):
    first = active_mandate(family)
    with pytest.raises(BillingError):
        active_mandate(family, iban=IBAN_FR_2)
    dd.revoke_mandate(first, by=director, reason="Changement de banque")
    second = active_mandate(family, iban=IBAN_FR_2)
    first.refresh_from_db()
    assert first.status == Mandate.Status.REVOKED
    assert first.end_reason == "Changement de banque"
    assert second.status == Mandate.Status.ACTIVE
    assert second.reference != first.reference


def test_paper_mandate_cannot_be_dated_in_the_future(settings_on, family, director):
    with pytest.raises(ValidationError):
        dd.record_paper_mandate(
            family,
            holder_name="Marie",
            iban=IBAN_FR,
            signed_on=timezone.localdate() + timedelta(days=2),
            by=director,
        )


def test_a_parent_asking_to_stop_takes_the_announced_debit_out(
    settings_on, family, guardian, django_capture_on_commit_callbacks
):
    owing(family, "40.00")
    mandate = active_mandate(family)
    batch = dd.prepare_batch(family.structure, date(2026, 12, 5), today=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        dd.request_mandate_stop(mandate, user=guardian.user)
    mandate.refresh_from_db()
    assert mandate.stop_requested_at is not None
    assert batch.lines.get().status == DebitLine.Status.EXCLUDED
    assert dd.prepare_batch(family.structure, date(2027, 1, 5), today=TODAY) is None
    # The director is told.
    assert any("demande l'arrêt" in message.subject for message in mail.outbox)


# --- Batches ---------------------------------------------------------------------------------


def test_pre_notification_needs_fourteen_days(settings_on, family):
    owing(family, "40.00")
    active_mandate(family)
    with pytest.raises(BillingError) as caught:
        dd.prepare_batch(family.structure, TODAY + timedelta(days=13), today=TODAY)
    assert "14" in caught.value.messages[0]
    assert not DebitBatch.objects.exists()
    batch = dd.prepare_batch(family.structure, TODAY + timedelta(days=14), today=TODAY)
    assert batch.collection_date == date(2026, 11, 30)


def test_a_longer_notice_set_by_the_structure_is_kept(settings_on, family):
    settings_on.notice_days = 20
    settings_on.save()
    owing(family, "40.00")
    active_mandate(family)
    with pytest.raises(BillingError):
        dd.prepare_batch(family.structure, TODAY + timedelta(days=19), today=TODAY)


def test_next_date_follows_the_debit_day_and_the_schedule(settings_on):
    settings_on.collection_months = "1,2,3,4,5,6,9,10,11,12"
    settings_on.save()
    # On 16 November the 5 December is 19 days away: it is the next date.
    assert dd.next_collection_date(settings_on, TODAY) == date(2026, 12, 5)
    # On 25 November it is too close: 5 January.
    assert dd.next_collection_date(settings_on, date(2026, 11, 25)) == date(2027, 1, 5)
    # No debit in July and August.
    assert dd.next_collection_date(settings_on, date(2026, 6, 25)) == date(2026, 9, 5)


def test_batch_takes_the_balance_of_families_with_an_active_mandate_and_notifies_them(
    settings_on, structure, family, guardian, django_capture_on_commit_callbacks
):
    owing(family, "36.07")
    mandate = active_mandate(family)
    waiting = FamilyFactory(structure=structure)
    owing(waiting, "50.00")
    dd.sign_mandate(
        waiting, holder_name="X", iban=IBAN_FR_2, consent=True, user=None, ip_address=None
    )
    no_mandate = FamilyFactory(structure=structure)
    owing(no_mandate, "10.00")
    small = FamilyFactory(structure=structure)
    owing(small, "0.50")
    active_mandate(small, iban=IBAN_FR_2)

    with django_capture_on_commit_callbacks(execute=True):
        batch = dd.prepare_batch(structure, today=TODAY)
    assert batch.collection_date == date(2026, 12, 5)
    [debit] = batch.lines.all()
    assert (debit.family, debit.amount, debit.sequence_type) == (family, Decimal("36.07"), "FRST")
    assert debit.notified_at is not None
    [notice] = mail.outbox
    assert notice.to == [guardian.email]
    assert "36,07 €" in notice.subject and "5 décembre 2026" in notice.subject
    assert mandate.reference in notice.body
    assert "FR72ZZZ123456" in notice.body
    assert IBAN_FR not in notice.body and "•••• 0189" in notice.body
    # Nothing is paid yet.
    assert family_balance(family) == Decimal("36.07")
    # Preparing again gives the same batch, and nobody twice.
    assert dd.prepare_batch(structure, today=TODAY) == batch
    assert DebitLine.objects.count() == 1


def test_an_amount_already_announced_is_not_announced_twice(settings_on, family):
    owing(family, "30.00")
    active_mandate(family)
    dd.prepare_batch(family.structure, date(2026, 12, 5), today=TODAY)
    owing(family, "12.00", on=date(2026, 11, 20))
    second = dd.prepare_batch(family.structure, date(2027, 1, 5), today=TODAY)
    assert second.lines.get().amount == Decimal("12.00")
    assert second.lines.get().sequence_type == "RCUR"


def validate(xml_bytes):
    schema = etree.XMLSchema(etree.parse(str(dd.schema_path())))
    document = etree.fromstring(xml_bytes)
    schema.assertValid(document)
    return document


def test_bank_file_is_valid_pain008_with_totals_and_sequence_types(settings_on, structure):
    first_family = FamilyFactory(structure=structure)
    recurring_family = FamilyFactory(structure=structure)
    owing(first_family, "36.07")
    owing(recurring_family, "20.00")
    active_mandate(first_family)
    recurring = active_mandate(recurring_family, iban=IBAN_DE)
    # The second family was debited once already.
    earlier = dd.prepare_batch(structure, date(2026, 11, 5), today=date(2026, 10, 20))
    earlier.lines.filter(family=first_family).update(status=DebitLine.Status.EXCLUDED)
    dd.mark_batch_sent(earlier, by=None)
    owing(recurring_family, "15.50", on=date(2026, 11, 10))

    batch = dd.prepare_batch(structure, date(2026, 12, 5), today=TODAY)
    document = validate(dd.render_batch_xml(batch))

    header = document.find("p:CstmrDrctDbtInitn/p:GrpHdr", NS)
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "2"
    assert header.findtext("p:CtrlSum", namespaces=NS) == "51.57"
    assert header.findtext("p:MsgId", namespaces=NS) == batch.message_id
    blocks = {
        block.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS): block
        for block in document.findall("p:CstmrDrctDbtInitn/p:PmtInf", NS)
    }
    assert set(blocks) == {"FRST", "RCUR"}
    assert blocks["FRST"].findtext("p:CtrlSum", namespaces=NS) == "36.07"
    assert blocks["RCUR"].findtext("p:CtrlSum", namespaces=NS) == "15.50"
    assert blocks["RCUR"].findtext("p:ReqdColltnDt", namespaces=NS) == "2026-12-05"
    rcur = blocks["RCUR"].find("p:DrctDbtTxInf", NS)
    assert rcur.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=NS) == (
        recurring.reference
    )
    assert rcur.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN_DE
    assert (
        blocks["FRST"].findtext("p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS)
        == "FR72ZZZ123456"
    )


def test_an_invalid_file_is_never_handed_out(settings_on, family):
    with pytest.raises(BillingError):
        dd.validate_pain008(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.008.001.02'/>")


def test_sending_records_one_payment_per_family_on_the_collection_date(settings_on, family):
    invoice = owing(family, "36.07")
    active_mandate(family)
    batch = dd.prepare_batch(family.structure, date(2026, 12, 5), today=TODAY)
    dd.mark_batch_sent(batch, by=None)
    dd.mark_batch_sent(batch, by=None)
    payment = Payment.objects.get()
    assert payment.method == PaymentMethod.DIRECT_DEBIT
    assert payment.date == date(2026, 12, 5)
    assert payment.amount == Decimal("36.07")
    assert str(payment.label) == "Règlement Prélèvement"
    assert family_balance(family) == 0
    assert invoice.lines.get().allocations.get().amount == Decimal("36.07")
    batch.refresh_from_db()
    assert batch.status == DebitBatch.Status.SENT
    assert batch.xml.name.endswith(".xml")
    validate(batch.xml.read())


# --- Rejects ---------------------------------------------------------------------------------


def sent_debit(family, amount="36.07", on=date(2026, 12, 5), today=TODAY):
    if not Invoice.objects.filter(family=family).exists() or family_balance(family) <= 0:
        owing(family, amount)
    batch = dd.prepare_batch(family.structure, on, today=today)
    dd.mark_batch_sent(batch, by=None)
    return batch.lines.get(family=family)


def test_a_reject_reverses_the_payment_with_its_code_and_the_balance_is_due_again(
    settings_on, family, guardian, django_capture_on_commit_callbacks
):
    active_mandate(family)
    debit = sent_debit(family)
    assert family_balance(family) == 0
    with django_capture_on_commit_callbacks(execute=True):
        dd.record_reject(debit, code="am04", on_date=date(2026, 12, 9))
        dd.record_reject(debit, code="AM04", on_date=date(2026, 12, 9))
    debit.refresh_from_db()
    assert debit.status == DebitLine.Status.REJECTED
    reversal = PaymentReversal.objects.get()
    assert reversal.payment == debit.payment
    assert reversal.reason == PaymentReversal.Reason.DEBIT_REJECTED
    assert reversal.note.startswith("AM04")
    assert family_balance(family) == Decimal("36.07")
    entry = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REVERSAL).get()
    assert entry.debit == Decimal("36.07") and entry.date == date(2026, 12, 9)
    [notice] = [m for m in mail.outbox if "rejected" in m.subject or "rejet" in m.subject]
    assert "AM04" in notice.body and "36,07 €" in notice.body


def test_reject_fee_is_invoiced_when_the_structure_sets_one(settings_on, family):
    settings_on.reject_fee = Decimal("5.00")
    settings_on.save()
    active_mandate(family)
    debit = sent_debit(family)
    dd.record_reject(debit, code="AC04", notify=False)
    debit.refresh_from_db()
    assert debit.fee_invoice.total == Decimal("5.00")
    assert debit.fee_invoice.lines.get().category == "penalite"
    assert family_balance(family) == Decimal("41.07")


def test_two_rejects_in_a_row_suspend_the_mandate_one_success_in_between_does_not(
    settings_on, family, director
):
    mandate = active_mandate(family)
    first = sent_debit(family, on=date(2026, 12, 5))
    dd.record_reject(first, code="AM04", notify=False)
    # The next debit goes through.
    second = sent_debit(family, on=date(2027, 1, 5), today=date(2026, 12, 15))
    assert second.sequence_type == "FRST"  # the first debit never went through
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE
    third = sent_debit(family, on=date(2027, 2, 5), today=date(2027, 1, 15))
    assert third.sequence_type == "RCUR"
    dd.record_reject(third, code="AM04", notify=False)
    mandate.refresh_from_db()
    assert (mandate.status, mandate.consecutive_rejects) == (Mandate.Status.ACTIVE, 1)
    fourth = sent_debit(family, on=date(2027, 3, 5), today=date(2027, 2, 15))
    dd.record_reject(fourth, code="MD06", notify=False)
    mandate.refresh_from_db()
    assert (mandate.status, mandate.consecutive_rejects) == (Mandate.Status.SUSPENDED, 2)
    # A suspended mandate is not debited.
    assert dd.prepare_batch(family.structure, date(2027, 4, 5), today=date(2027, 3, 15)) is None
    dd.reactivate_mandate(mandate, by=director)
    mandate.refresh_from_db()
    assert (mandate.status, mandate.consecutive_rejects) == (Mandate.Status.ACTIVE, 0)


def test_only_a_sent_debit_can_be_rejected(settings_on, family):
    owing(family, "10.00")
    active_mandate(family)
    batch = dd.prepare_batch(family.structure, date(2026, 12, 5), today=TODAY)
    with pytest.raises(BillingError):
        dd.record_reject(batch.lines.get(), code="AM04")
    assert not PaymentReversal.objects.exists()


def camt054(*transactions, booking="2026-12-09"):
    details = "".join(
        f"""<TxDtls><Refs><EndToEndId>{ref}</EndToEndId></Refs>
        <AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>
        <RtrInf><Rsn><Cd>{code}</Cd></Rsn></RtrInf></TxDtls>"""
        for ref, code, amount in transactions
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>RET1</MsgId><CreDtTm>2026-12-09T08:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id><CreDtTm>2026-12-09T08:00:00</CreDtTm>
<Acct><Id><IBAN>FR7630004000031234567890143</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>{booking}</Dt></BookgDt><BkTxCd/>
<NtryDtls>{details}</NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>""".encode()


def test_importing_a_camt054_return_records_each_reject_once(
    settings_on, structure, family, other_structure
):
    active_mandate(family)
    other = FamilyFactory(structure=structure)
    active_mandate(other, iban=IBAN_FR_2)
    owing(other, "20.00")
    debit = sent_debit(family)
    kept = debit.batch.lines.get(family=other)
    data = camt054((debit.end_to_end_id, "AC04", "36.07"), ("UNKNOWN-REF", "AM04", "3.00"))
    recorded, already, problems = dd.import_bank_return(structure, data, by=None)
    assert (recorded, already, len(problems)) == (1, 0, 1)
    assert "UNKNOWN-REF" in problems[0]
    debit.refresh_from_db()
    assert (debit.reject_code, debit.reject_date) == ("AC04", date(2026, 12, 9))
    kept.refresh_from_db()
    assert kept.status == DebitLine.Status.COLLECTED
    assert dd.import_bank_return(structure, data, by=None)[:2] == (0, 1)
    assert PaymentReversal.objects.count() == 1
    # Another structure's director cannot reject this structure's debits.
    direct_debit_settings(other_structure)
    assert dd.import_bank_return(other_structure, data, by=None)[0] == 0


@pytest.mark.parametrize(
    "data",
    [b"not xml", b"<Document><Other/></Document>", b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"],
)
def test_a_file_that_is_not_a_bank_return_is_refused(settings_on, structure, data):
    with pytest.raises(BillingError):
        dd.import_bank_return(structure, data, by=None)


def test_payments_by_other_means_meanwhile_are_not_debited_again(settings_on, family):
    owing(family, "30.00")
    active_mandate(family)
    record_payment(family, Decimal("30.00"), PaymentMethod.CHEQUE, cheque_number="1234567")
    assert dd.prepare_batch(family.structure, date(2026, 12, 5), today=TODAY) is None


def test_the_daily_command_prepares_only_when_the_notice_deadline_is_near(
    settings_on, structure, family
):
    owing(family, "30.00")
    active_mandate(family)
    assert dd.due_batches(date(2026, 11, 1)) == []
    assert dd.due_batches(date(2026, 11, 19)) == [(structure, date(2026, 12, 5))]
