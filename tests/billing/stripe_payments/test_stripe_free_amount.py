"""An online payment of an amount the parent chooses, where the structure allows it.

Off by default (the manual: "vous ne pouvez pas choisir le montant de votre paiement en
ligne"). On, the amount lies between the structure's minimum for online payment (15 € here)
and the balance due, in whole cents; it is checked when the attempt opens and again before
the card is charged. DUPONT owes 36,07 €.
"""

from decimal import Decimal
from html import unescape

from django.db.models import Sum
from django.urls import reverse

import pytest

from billing.ledger.services import family_balance
from billing.models import PaymentAttempt
from billing.online_payment import services
from billing.online_payment.services import (
    PaymentNotAllowed,
    check_chosen_amount,
    confirm_payment_attempt,
    start_payment_attempt,
)
from core.money import parse_euros
from tests.factories.billing import free_amount, issued_invoice, line
from tests.security.test_hostile_input import fuzz_forms, fuzz_query

from .fake_stripe import CARD_OK, card_payments, owe

pytestmark = pytest.mark.django_db

Status = PaymentAttempt.Status
PAY = reverse("billing:payment")
TWO_DECIMALS = "Saisissez le montant en euros avec deux décimales au plus, par exemple 36,07."


@pytest.fixture
def allowed(structure):
    return free_amount(structure)


def page_text(response):
    return unescape(response.content.decode())


# --- Typing an amount ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("36,07", "36.07"),
        ("36.07", "36.07"),
        (" 20,5 ", "20.5"),
        ("1 234,50", "1234.50"),
        ("20\u202f€", "20"),
        ("-5", "-5"),
        ("36,071", "36.071"),
    ],
)
def test_typed_amounts_are_read_as_typed(typed, value):
    assert parse_euros(typed) == Decimal(value)


@pytest.mark.parametrize(
    "typed", ["abc", "", "1.234,56", "12 34", "36,", ",5", "1e3", "NaN", "\u0662\u0660"]
)
def test_what_is_not_an_amount(typed):
    with pytest.raises(ValueError):
        parse_euros(typed)


# --- The service ---------------------------------------------------------------------------


def test_off_by_default_a_chosen_amount_is_refused(family, guardian, dupont):
    with pytest.raises(PaymentNotAllowed) as refused:
        start_payment_attempt(dupont, guardian, Decimal("20.00"))
    assert refused.value.messages == [
        "Le montant d'un paiement en ligne ne se choisit pas : c'est la totalité du solde dû."
    ]
    free_amount(family.structure, allowed=False)
    with pytest.raises(PaymentNotAllowed):
        start_payment_attempt(dupont, guardian, Decimal("36.07"))
    assert not PaymentAttempt.objects.exists()
    # The whole balance, as always.
    assert start_payment_attempt(dupont, guardian).amount == Decimal("36.07")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("14.99", "Le montant doit être d'au moins 15,00 €."),
        ("36.08", "Le montant ne peut pas dépasser votre solde dû (36,07 €)."),
        ("0", "Le montant doit être supérieur à zéro."),
        ("-5", "Le montant doit être supérieur à zéro."),
        ("20.005", TWO_DECIMALS),
        ("Infinity", TWO_DECIMALS),
        ("abc", TWO_DECIMALS),
    ],
)
def test_limits_of_a_chosen_amount(allowed, guardian, dupont, amount, message):
    with pytest.raises(PaymentNotAllowed) as refused:
        start_payment_attempt(dupont, guardian, amount)
    assert refused.value.messages == [message]
    assert not PaymentAttempt.objects.exists()


@pytest.mark.parametrize(
    ("amount", "kept"),
    [("15", "15.00"), ("36.07", "36.07"), ("20.1", "20.10"), ("20.500", "20.50")],
)
def test_amounts_within_the_limits_are_kept_to_the_cent(allowed, guardian, dupont, amount, kept):
    attempt = start_payment_attempt(dupont, guardian, Decimal(amount))
    assert (attempt.amount, attempt.balance_due, attempt.status) == (
        Decimal(kept),
        Decimal("36.07"),
        Status.PENDING,
    )


def test_the_minimum_is_the_structures_minimum_for_online_payment(allowed, family, dupont):
    family.structure.online_payment_minimum = Decimal("5.50")
    family.structure.save()
    assert check_chosen_amount(dupont, Decimal("5.50"), Decimal("36.07")) == Decimal("5.50")
    with pytest.raises(PaymentNotAllowed, match="au moins 5,50 €"):
        check_chosen_amount(dupont, Decimal("5.49"), Decimal("36.07"))


def test_same_amount_reuses_the_attempt_another_replaces_it(allowed, guardian, dupont):
    first = start_payment_attempt(dupont, guardian, Decimal("20.00"))
    assert start_payment_attempt(dupont, guardian, Decimal("20")) == first
    second = start_payment_attempt(dupont, guardian, Decimal("25.00"))
    first.refresh_from_db()
    assert (first.status, first.failure_code) == (Status.CANCELED, "superseded")
    assert (second.amount, second.status) == (Decimal("25.00"), Status.PENDING)
    # A refused amount leaves the open attempt as it was.
    with pytest.raises(PaymentNotAllowed):
        start_payment_attempt(dupont, guardian, Decimal("99.00"))
    second.refresh_from_db()
    assert second.status == Status.PENDING


def test_a_partial_payment_is_charged_recorded_and_allocated_oldest_first(
    allowed, localstripe, family, guardian
):
    older = issued_invoice(family, line("10.00"))
    newer = issued_invoice(family, line("26.07"))
    attempt = start_payment_attempt(family, guardian, Decimal("20.00"))
    attempt, intent = confirm_payment_attempt(family, attempt.pk, localstripe.card(CARD_OK))

    assert (intent["amount"], intent["currency"]) == (2000, "eur")
    assert attempt.status == Status.SUCCEEDED
    payment = card_payments(family).get()
    assert (payment.amount, payment.needs_review, payment.note) == (Decimal("20.00"), False, "")
    assert attempt.payment == payment
    assert family_balance(family) == Decimal("16.07")
    settled = {
        row["invoice_line__invoice"]: row["total"]
        for row in payment.allocations.values("invoice_line__invoice").annotate(total=Sum("amount"))
    }
    assert settled == {older.pk: Decimal("10.00"), newer.pk: Decimal("10.00")}


def test_the_amount_is_checked_again_before_the_card_is_charged(
    allowed, localstripe, family, guardian, dupont
):
    attempt = start_payment_attempt(dupont, guardian, Decimal("20.00"))
    # The director turns the option off while the parent types the card.
    free_amount(family.structure, allowed=False)
    attempt, intent = confirm_payment_attempt(dupont, attempt.pk, localstripe.card(CARD_OK))
    assert (attempt.status, attempt.failure_code, intent) == (
        Status.CANCELED,
        "amount_not_allowed",
        None,
    )
    assert services.failure_reason(attempt).startswith("Ce montant ne peut plus être payé")

    free_amount(family.structure)
    attempt = start_payment_attempt(dupont, guardian, Decimal("20.00"))
    # ... or raises the minimum above it.
    family.structure.online_payment_minimum = Decimal("25.00")
    family.structure.save()
    attempt, intent = confirm_payment_attempt(dupont, attempt.pk, localstripe.card(CARD_OK))
    assert (attempt.status, attempt.failure_code) == (Status.CANCELED, "amount_not_allowed")

    family.structure.online_payment_minimum = Decimal("15.00")
    family.structure.save()
    attempt = start_payment_attempt(dupont, guardian, Decimal("20.00"))
    owe(dupont, "5.00")
    attempt, intent = confirm_payment_attempt(dupont, attempt.pk, localstripe.card(CARD_OK))
    assert (attempt.status, attempt.failure_code) == (Status.CANCELED, "balance_changed")

    assert localstripe.payment_intents() == []
    assert not card_payments(dupont).exists()
    assert family_balance(dupont) == Decimal("41.07")


def test_the_whole_balance_still_needs_no_option(localstripe, guardian, dupont):
    attempt = start_payment_attempt(dupont, guardian)
    assert (attempt.amount, attempt.balance_due) == (Decimal("36.07"), Decimal("36.07"))
    attempt, _ = confirm_payment_attempt(dupont, attempt.pk, localstripe.card(CARD_OK))
    assert attempt.status == Status.SUCCEEDED
    assert family_balance(dupont) == Decimal("0.00")


# --- The payment page ----------------------------------------------------------------------


def test_off_the_page_asks_no_amount_and_a_forged_one_is_ignored(parent_client, dupont):
    page = page_text(parent_client.get(PAY))
    assert 'name="amount"' not in page
    assert "le montant d'un paiement en ligne ne peut pas être choisi" in page
    response = parent_client.post(PAY, {"amount": "1,00"})
    assert response.url == PAY
    attempt = PaymentAttempt.objects.get()
    assert (attempt.amount, attempt.balance_due) == (Decimal("36.07"), Decimal("36.07"))
    page = page_text(parent_client.get(PAY))
    assert "Payer 36,07 €" in page
    assert "Modifier le montant" not in page


def test_on_the_page_offers_the_balance_in_a_field(allowed, parent_client, dupont):
    # The account page's button posts without an amount: the amount is asked first.
    response = parent_client.post(PAY)
    assert response.url == PAY
    assert not PaymentAttempt.objects.exists()

    page = page_text(parent_client.get(PAY))
    assert "Solde dû : 36,07 €" in page
    assert '<label for="id_amount">Montant à payer (en euros)' in page
    assert 'name="amount" value="36,07"' in page
    assert 'inputmode="decimal"' in page
    assert "De 15,00 € à 36,07 € (votre solde dû), par exemple 36,07." in page
    # No card field yet, and Stripe.js is not loaded.
    assert "card-element" not in page
    assert "js.stripe.com" not in page
    assert not PaymentAttempt.objects.exists()


@pytest.mark.parametrize(
    ("typed", "amount", "shown"),
    [("36,07", "36.07", "36,07 €"), ("36.07", "36.07", "36,07 €"), ("20,5", "20.50", "20,50 €")],
)
def test_a_typed_amount_opens_the_card_step(allowed, parent_client, dupont, typed, amount, shown):
    response = parent_client.post(PAY, {"amount": typed}, follow=True)
    assert response.redirect_chain == [(PAY, 302)]
    page = page_text(response)
    assert f"Montant à payer : {shown}" in page
    assert f"Payer {shown}" in page
    assert "Modifier le montant" in page
    attempt = PaymentAttempt.objects.get()
    assert (attempt.amount, attempt.balance_due) == (Decimal(amount), Decimal("36.07"))
    assert f'data-attempt="{attempt.pk}"' in page
    if attempt.amount < attempt.balance_due:
        assert "Une partie de votre solde dû de 36,07 € ; le reste demeure dû" in page
    else:
        assert "C'est la totalité du solde de votre compte." in page


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("abc", "Saisissez un montant en euros, par exemple 36,07."),
        ("", "Saisissez le montant à payer."),
        ("-5", "Le montant doit être supérieur à zéro."),
        ("0", "Le montant doit être supérieur à zéro."),
        ("0,00", "Le montant doit être supérieur à zéro."),
        ("36,08", "Le montant ne peut pas dépasser votre solde dû (36,07 €)."),
        ("1 000", "Le montant ne peut pas dépasser votre solde dû (36,07 €)."),
        ("14,99", "Le montant doit être d'au moins 15,00 €."),
        ("20,005", TWO_DECIMALS),
        ("1.234,56", "Saisissez un montant en euros, par exemple 36,07."),
        ("9" * 30, "Saisissez un montant en euros, par exemple 36,07."),
    ],
)
def test_a_bad_amount_is_a_form_error_and_opens_nothing(
    allowed, parent_client, dupont, typed, error
):
    response = parent_client.post(PAY, {"amount": typed})
    assert response.status_code == 200
    page = page_text(response)
    assert f'<p class="error" id="id_amount_error">{error}</p>' in page
    assert 'aria-invalid="true"' in page
    assert "card-element" not in page
    assert not PaymentAttempt.objects.exists()


def test_hostile_values_in_the_amount_never_answer_500(allowed, parent_client, dupont):
    # The amount form among the page's forms (the layout has its own).
    assert fuzz_forms(parent_client, PAY) >= 1
    fuzz_query(parent_client, PAY + "?modifier=1")
    assert not PaymentAttempt.objects.exclude(amount__lte=Decimal("36.07")).exists()


def test_the_parent_changes_the_amount_before_paying(allowed, parent_client, dupont):
    parent_client.post(PAY, {"amount": "20,00"})
    first = PaymentAttempt.objects.get()
    page = page_text(parent_client.get(PAY + "?modifier=1"))
    assert 'name="amount" value="20,00"' in page
    assert "card-element" not in page
    parent_client.post(PAY, {"amount": "30"})
    first.refresh_from_db()
    assert (first.status, first.failure_code) == (Status.CANCELED, "superseded")
    assert PaymentAttempt.objects.open().get().amount == Decimal("30.00")


def test_an_attempt_made_payable_no_more_is_not_offered(allowed, parent_client, family, dupont):
    parent_client.post(PAY, {"amount": "20,00"})
    free_amount(family.structure, allowed=False)
    page = page_text(parent_client.get(PAY))
    # Back to the whole balance: the 20,00 € attempt is not shown to be paid.
    assert "Montant à payer : 36,07 €" in page
    assert "card-element" not in page
    assert "Continuer vers le paiement par carte" in page


def test_a_below_the_minimum_balance_still_sends_back_to_the_account(
    allowed, parent_client, family
):
    owe(family, "14.99")
    response = parent_client.post(PAY, {"amount": "14,99"}, follow=True)
    assert response.redirect_chain == [(reverse("billing:account"), 302)]
    assert "inférieur à ce montant" in page_text(response)
    assert not PaymentAttempt.objects.exists()


def test_three_actors_cannot_open_or_change_a_payment_of_the_family(
    allowed, client, dupont, guardian, other_guardian, verified_client, other_structure
):
    from django.contrib.auth.models import Group

    from parents.roles import DIRECTION_GROUP, setup_roles
    from tests.factories.parents import UserFactory

    start_payment_attempt(dupont, guardian, Decimal("20.00"))
    # Anonymous: to the login page, nothing opened.
    response = client.post(PAY, {"amount": "15,00"})
    assert response.url.startswith(reverse("parents:login"))
    assert client.get(PAY + "?modifier=1").url.startswith(reverse("parents:login"))
    # Another family: its own (empty) account, never DUPONT's attempt.
    client.force_login(other_guardian.user)
    response = client.post(PAY, {"amount": "15,00"})
    assert response.status_code == 302
    assert "20,00" not in page_text(client.get(PAY + "?modifier=1", follow=True))
    # A director of another structure: no family area.
    setup_roles()
    director = UserFactory(username="directeur.levignac")
    director.groups.add(Group.objects.get(name=DIRECTION_GROUP))
    director.structures.add(other_structure)
    staff = verified_client(director)
    assert staff.post(PAY, {"amount": "15,00"}).status_code in (302, 403, 404)
    assert "20,00" not in page_text(staff.get(PAY + "?modifier=1", follow=True))

    (attempt,) = PaymentAttempt.objects.all()
    assert (attempt.family, attempt.amount, attempt.status) == (
        dupont,
        Decimal("20.00"),
        Status.PENDING,
    )


# --- The director's switch -----------------------------------------------------------------


def test_the_director_switches_the_option_on_the_settings_page(
    structure, director, verified_client, client, guardian, dupont
):
    staff = verified_client(director)
    url = reverse("direct_debit:settings") + f"?structure={structure.pk}"
    page = page_text(staff.get(url))
    assert "Les parents peuvent choisir le montant du paiement en ligne</label>" in page
    assert "Décoché (par défaut) : les parents paient la totalité du solde dû." in page
    assert "Minimum de cette structure : 15,00 € (réglé sur la structure" in page
    assert 'name="op-free_amount"' in page
    assert 'name="op-free_amount" checked' not in page
    data = {
        "structure": structure.pk,
        "dd-debit_day": "5",
        "dd-notice_days": "14",
        "dd-minimum_amount": "1",
        "dd-reject_fee": "0",
        "dd-mandate_text": "Texte",
        "rm-first_delay_days": "15",
        "rm-second_delay_days": "30",
        "rm-minimum_amount": "1",
        "rm-first_text": "a",
        "rm-second_text": "b",
        "op-free_amount": "on",
    }
    # No month ticked for direct debit: an error on the page, nothing saved (not a 500).
    response = staff.post(url, data)
    assert response.status_code == 200
    assert "Champ requis." in page_text(response)
    assert not services.free_amount_allowed(structure)

    data["dd-months"] = [str(month) for month in range(1, 13)]
    assert staff.post(url, data).status_code == 302
    assert services.free_amount_allowed(structure)

    client.force_login(guardian.user)
    assert 'name="amount" value="36,07"' in page_text(client.get(PAY))

    del data["op-free_amount"]
    staff = verified_client(director)
    assert staff.post(url, data).status_code == 302
    assert not services.free_amount_allowed(structure)
