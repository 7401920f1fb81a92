"""A card payment is dated the day the card was charged, in Paris, not the day it started."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from billing.online_payment.gateway import succeeded_at
from billing.online_payment.services import sync_attempt_from_intent

from .fake_stripe import card_payments
from .test_stripe_webhook import paid_behind_our_back

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def at(*args):
    return int(datetime(*args, tzinfo=PARIS).timestamp())


def test_localstripe_gives_the_charge_with_its_time(localstripe, dupont, guardian):
    _attempt, intent_id = paid_behind_our_back(localstripe, dupont, guardian)
    intent = localstripe.payment_intent(intent_id)
    charge = intent["latest_charge"]
    assert succeeded_at(intent).timestamp() == (
        charge["created"] if isinstance(charge, dict) else intent["created"]
    )


def test_3d_secure_across_new_year_lands_in_the_new_year(localstripe, dupont, guardian):
    _attempt, intent_id = paid_behind_our_back(localstripe, dupont, guardian)
    intent = localstripe.payment_intent(intent_id)
    # Started at 23:58 on 31 December (Paris), the 3-D Secure step done at 00:01.
    intent["created"] = at(2025, 12, 31, 23, 58)
    intent["latest_charge"]["created"] = at(2026, 1, 1, 0, 1)

    sync_attempt_from_intent(intent)

    payment = card_payments(dupont).get()
    assert payment.date == date(2026, 1, 1)


def test_the_paris_day_is_used_whatever_the_utc_day(localstripe, dupont, guardian, settings):
    settings.TIME_ZONE = "UTC"
    _attempt, intent_id = paid_behind_our_back(localstripe, dupont, guardian)
    intent = localstripe.payment_intent(intent_id)
    # 00:30 in Paris on 1 January is still 31 December in UTC.
    intent["latest_charge"]["created"] = at(2026, 1, 1, 0, 30)

    sync_attempt_from_intent(intent)

    assert card_payments(dupont).get().date == date(2026, 1, 1)
