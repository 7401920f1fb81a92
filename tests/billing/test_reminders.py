"""Payment reminders: who gets one, when, once; who never does; the letter to print."""

from datetime import date, timedelta
from decimal import Decimal

from django.core import mail
from django.core.management import call_command
from django.urls import reverse

import pytest
from pypdf import PdfReader

from billing.direct_debit import services as dd
from billing.models import Reminder
from billing.reminders import services as reminders
from tests.factories.billing import issued_invoice, line
from tests.factories.direct_debit import active_mandate, direct_debit_settings, reminder_settings
from tests.factories.parents import FamilyFactory

pytestmark = pytest.mark.django_db

ISSUED = date(2026, 9, 1)  # due 30 days later: 1 October 2026
DUE = ISSUED + timedelta(days=30)


@pytest.fixture
def overdue(structure, family, guardian):
    reminder_settings(structure)
    return issued_invoice(family, line("36.07"), issue_date=ISSUED)


def test_first_then_second_reminder_each_once(overdue, family, guardian):
    assert reminders.send_payment_reminders(DUE + timedelta(days=14))["email"] == 0
    assert reminders.send_payment_reminders(DUE + timedelta(days=15))["email"] == 1
    [first] = mail.outbox
    assert first.to == [guardian.email]
    assert "36,07 €" in first.subject
    assert overdue.number in first.body and "régulariser" in first.body
    # Daily runs: nothing twice.
    for day in range(16, 30):
        assert reminders.send_payment_reminders(DUE + timedelta(days=day))["email"] == 0
    assert reminders.send_payment_reminders(DUE + timedelta(days=30))["email"] == 1
    assert "Deuxième relance" in mail.outbox[1].subject
    assert "Malgré notre premier rappel" in mail.outbox[1].body
    assert reminders.send_payment_reminders(DUE + timedelta(days=60))["email"] == 0
    assert list(Reminder.objects.order_by("level").values_list("level", flat=True)) == [1, 2]


def test_the_command_is_idempotent(overdue, family, settings):
    # The command reads today's date: the invoice is long overdue by now.
    call_command("send_payment_reminders")
    call_command("send_payment_reminders")
    assert Reminder.objects.filter(family=family).count() == 1
    assert len(mail.outbox) == 1


def test_skipped_with_an_active_mandate_with_a_pending_debit(overdue, structure, family):
    direct_debit_settings(structure)
    active_mandate(family)
    dd.prepare_batch(structure, DUE + timedelta(days=40), today=DUE + timedelta(days=15))
    assert reminders.send_payment_reminders(DUE + timedelta(days=20))["email"] == 0
    assert not Reminder.objects.exists()


def test_skipped_while_paused_and_sent_after_the_pause(overdue, family, director):
    reminders.pause_reminders(
        family, until=DUE + timedelta(days=20), reason="Échéancier", by=director
    )
    assert reminders.send_payment_reminders(DUE + timedelta(days=16))["email"] == 0
    assert reminders.send_payment_reminders(DUE + timedelta(days=21))["email"] == 1


def test_skipped_when_paid_or_off_or_not_yet_due(overdue, structure, family):
    from billing.ledger.services import record_payment
    from billing.models import PaymentMethod

    record_payment(family, Decimal("36.07"), PaymentMethod.CASH)
    assert reminders.send_payment_reminders(DUE + timedelta(days=15))["email"] == 0
    other = FamilyFactory(structure=structure)
    issued_invoice(other, line("10.00"), issue_date=ISSUED)
    reminder_settings(structure, enabled=False)
    assert reminders.send_payment_reminders(DUE + timedelta(days=15))["email"] == 0


def test_a_family_without_email_gets_a_letter_to_print(structure):
    reminder_settings(structure)
    family = FamilyFactory(structure=structure, name="SANSMAIL")
    invoice = issued_invoice(family, line("12.00"), issue_date=ISSUED)
    counts = reminders.send_payment_reminders(DUE + timedelta(days=15))
    assert counts == {"email": 0, "letter": 1}
    assert Reminder.objects.get().channel == Reminder.Channel.LETTER
    reader = PdfReader(__import__("io").BytesIO(reminders.reminder_letter_pdf(family)))
    text = reader.pages[0].extract_text()
    assert invoice.number in text and "12,00" in text and "Relance" in text


def test_the_families_to_pause_are_paged_and_found_by_name_or_reference(
    structure, family, other_guardian, director, verified_client
):
    """50 families a page, in name order, with the search the family files page has; the
    families of another structure never appear."""
    reminder_settings(structure)
    for number in range(60):
        FamilyFactory(structure=structure, name=f"FAMILLE {number:03}", reference=f"F{number:03}")
    client = verified_client(director)
    index = reverse("payment_reminders:index") + f"?structure={structure.pk}"

    first = client.get(index).content.decode()
    assert first.count('name="reason"') == 50
    assert "DUPONT" in first and "FAMILLE 048" in first and "FAMILLE 049" not in first
    assert "1 / 2" in first and other_guardian.family.name not in first
    second = client.get(index + "&p=2").content.decode()
    assert second.count('name="reason"') == 11 and "FAMILLE 059" in second

    found = client.get(index + "&q=f012").content.decode()
    assert found.count('name="reason"') == 1 and "FAMILLE 012" in found
    found = client.get(index + "&q=dupont").content.decode()
    assert found.count('name="reason"') == 1 and "DUPONT" in found
    assert client.get(index + "&q=BERNARD").content.decode().count('name="reason"') == 0
