"""Reminder emails before a deadline, to families without a booking, once, unless opted out."""

from datetime import date

from django.core import mail
from django.core.management import call_command

import pytest

from reservations import services
from reservations.models import ReminderPreference
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory, UserFactory

from .factories import slot, unit, utc, wednesdays

pytestmark = pytest.mark.django_db

# Wednesday 9 December 2026 closes on Monday 7 December at 10:00 (09:00 UTC).
DAY = date(2026, 12, 9)


@pytest.fixture
def period(structure):
    period = wednesdays(
        structure,
        date(2026, 12, 1),
        date(2026, 12, 31),
        opens=date(2026, 11, 1),
        reminder_hours=48,
        name="Mercredis de décembre",
    )
    unit(period)
    return period


def test_families_without_a_booking_are_reminded_once(period, family, guardian, neighbours, lea):
    services.book(lea, slot(period.units.get(), date(2026, 12, 2)), now=utc(2026, 11, 20, 8, 0))
    # Three days before the deadline: too early.
    assert services.send_booking_reminders(now=utc(2026, 12, 4, 9, 0)) == 0
    # Less than 48 hours before it: both families have nothing booked on the 9th.
    assert services.send_booking_reminders(now=utc(2026, 12, 5, 10, 0)) == 2
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["martin.test@example.org", "parent.test@example.org"]
    message = by_address["parent.test@example.org"]
    assert message.subject == "Rappel : réservez pour Mercredis de décembre — Commune de Brax"
    assert "Les réservations ferment le lundi 7 décembre 2026 à 10 h 00" in message.body
    assert "- mercredi 9 décembre 2026" in message.body
    assert "http://testserver/espace-famille/reservations/rappels/" in message.body
    # Run again: nothing is sent twice.
    assert services.send_booking_reminders(now=utc(2026, 12, 6, 10, 0)) == 0
    assert len(mail.outbox) == 2


def test_a_family_with_a_booking_or_an_opted_out_guardian_gets_nothing(
    period, family, guardian, neighbours, lea
):
    services.book(lea, slot(period.units.get(), DAY), now=utc(2026, 11, 20, 8, 0))
    opted_out = neighbours.guardians.get()
    ReminderPreference.objects.create(guardian=opted_out, send_reminders=False)
    assert services.send_booking_reminders(now=utc(2026, 12, 5, 10, 0)) == 0
    assert mail.outbox == []


def test_only_the_opted_out_guardian_is_skipped(period, structure):
    family = FamilyFactory(structure=structure, name="SIMON")
    ChildFactory(family=family)
    stays = GuardianFactory(family=family, user=UserFactory(username="simon.a"))
    leaves = GuardianFactory(family=family, user=UserFactory(username="simon.b"))
    ReminderPreference.objects.create(guardian=leaves, send_reminders=False)
    services.send_booking_reminders(now=utc(2026, 12, 5, 10, 0))
    assert [message.to for message in mail.outbox] == [[stays.email]]


def test_periods_without_reminders_send_none(period, family, guardian):
    period.reminder_hours = 0
    period.save()
    assert services.send_booking_reminders(now=utc(2026, 12, 5, 10, 0)) == 0


def test_the_command_prints_how_many_were_sent(period, capsys):
    call_command("send_booking_reminders")
    assert capsys.readouterr().out.endswith("reminder(s) sent.\n")
