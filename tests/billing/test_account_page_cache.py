"""The account page served again from the shared cache (core.page_cache): a reload costs no
query, and the page a family sees is never older than its account."""

import re
from datetime import date
from decimal import Decimal

from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from billing.direct_debit.models import DirectDebitSettings
from billing.ledger import services
from billing.models import LedgerEntry, PaymentMethod
from core import page_cache
from tests.factories.billing import issued_invoice, line

from .conftest import balance_sentence, operation_rows

# Committed for real: a page is kept only once what it shows is committed (see core.page_cache).
pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNT = reverse("billing:account")
MARCH = date(2012, 3, 9)


def load(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ACCOUNT)
    assert response.status_code == 200
    ledger_queries = [q for q in queries if "billing_ledgerentry" in q["sql"]]
    return response, ledger_queries


def test_a_reload_is_served_without_reading_the_account_again(parent_client, family, shared_cache):
    issued_invoice(family, line("12.00"), issue_date=MARCH)
    parent_client.get(ACCOUNT)  # sets the CSRF cookie: a page that sets a cookie is not kept
    first, queries = load(parent_client)
    assert queries
    again, queries = load(parent_client)
    assert queries == []
    assert again.content == first.content
    assert again["Cache-Control"] == first["Cache-Control"]
    assert "no-store" in again["Cache-Control"]


def test_without_a_shared_cache_the_page_is_built_each_time(parent_client, family):
    load(parent_client)
    _response, queries = load(parent_client)
    assert queries  # another process could not tell this one that the account changed


def test_a_payment_recorded_shows_on_the_next_load(parent_client, family, shared_cache):
    issued_invoice(family, line("12.00"), issue_date=MARCH)
    parent_client.get(ACCOUNT)
    assert balance_sentence(load(parent_client)[0]).startswith("Solde débiteur")
    services.record_payment(family, Decimal("12.00"), PaymentMethod.CHEQUE, cheque_number="77")
    response, _queries = load(parent_client)
    assert balance_sentence(response) == "Aucun solde dû"
    assert operation_rows(response)[0][0][0] == "Règlement Chèques 77"


def test_an_invoice_issued_shows_on_the_next_load(parent_client, brax, family, shared_cache):
    load(parent_client)
    load(parent_client)
    issued_invoice(family, line("3.86", quantity="2"), issue_date=MARCH)
    response, _queries = load(parent_client)
    assert [row[0] for row in operation_rows(response)[0]] == ["Facture 2L2012/0001EN"]


def test_rows_written_without_model_signals_show_too(parent_client, family, shared_cache):
    """`bulk_create` sends no signal: the page notices the table was written all the same."""
    load(parent_client)
    load(parent_client)
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                family=family,
                date=MARCH,
                kind=LedgerEntry.Kind.PAYMENT,
                label="Règlement Espèces",
                credit=Decimal("5.00"),
            )
        ]
    )
    response, _queries = load(parent_client)
    assert "Règlement Espèces" in response.content.decode()


def test_a_structure_setting_read_from_the_cache_shows_once_changed(
    parent_client, structure, shared_cache
):
    """Direct-debit settings come from the cache, not a query: the page still follows them."""
    parent_client.get(ACCOUNT)
    assert "(payer automatiquement chaque mois)" not in load(parent_client)[0].content.decode()
    DirectDebitSettings.objects.create(
        structure=structure,
        enabled=True,
        creditor_name="Centre de loisirs",
        creditor_identifier="FR72ZZZ123456",
        creditor_iban="FR7630006000011234567890189",
    )
    assert "(payer automatiquement chaque mois)" in load(parent_client)[0].content.decode()


def test_each_family_gets_its_own_page(parent_client, family, other_guardian, shared_cache):
    issued_invoice(family, line("12.00"), issue_date=MARCH)
    load(parent_client)
    other = Client()
    other.force_login(other_guardian.user)
    response, _queries = load(other)
    assert "BERNARD" in response.content.decode() or other_guardian.greeting_name in (
        response.content.decode()
    )
    assert operation_rows(response)[0] == []
    assert balance_sentence(response) == "Aucun solde dû"


def test_a_waiting_message_is_shown_not_a_stored_page(parent_client, family, shared_cache):
    load(parent_client)
    load(parent_client)
    storage = CookieStorage(RequestFactory().get("/"))
    parent_client.cookies[CookieStorage.cookie_name] = storage._encode(
        [Message(constants.SUCCESS, "Votre paiement a bien été reçu.")]
    )
    response, queries = load(parent_client)
    assert "Votre paiement a bien été reçu." in response.content.decode()
    assert queries


def test_the_form_token_of_a_stored_page_is_accepted(guardian, family, shared_cache):
    """The page keeps the session's CSRF token: logging out from it works."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(guardian.user)
    client.get(ACCOUNT)  # the CSRF cookie is set with this first page, which is not kept
    load(client)
    response, queries = load(client)
    assert queries == []
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    logout = client.post(reverse("parents:logout"), {"csrfmiddlewaretoken": token.group(1)})
    assert logout.status_code == 302
    assert client.get(ACCOUNT).status_code == 302  # logged out: the stored page is not served


def test_inside_a_transaction_its_own_writes_show_before_the_commit(
    parent_client, family, shared_cache
):
    """A page built before a write of the same transaction is not served meanwhile, and a
    page built from its uncommitted rows is not kept for others."""
    parent_client.get(ACCOUNT)
    load(parent_client)
    with transaction.atomic():
        services.record_payment(family, Decimal("4.00"), PaymentMethod.CASH)
        inside, queries = load(parent_client)
        assert queries
        assert "Règlement Espèces" in inside.content.decode()
        _again, queries = load(parent_client)
        assert queries  # built from uncommitted rows: not kept
    _after, queries = load(parent_client)
    assert queries  # the commit drew new generations
    kept, queries = load(parent_client)
    assert queries == []
    assert "Règlement Espèces" in kept.content.decode()


def test_another_release_does_not_serve_this_ones_pages(
    parent_client, family, shared_cache, monkeypatch
):
    """A deployment (new code, templates or settings) does not serve pages of the previous
    one, whichever instance restarts first."""
    parent_client.get(ACCOUNT)
    load(parent_client)
    assert load(parent_client)[1] == []
    monkeypatch.setattr(page_cache, "release", lambda: "next-release")
    assert load(parent_client)[1]


def test_a_process_with_pages_turned_off_still_ends_the_others_pages(
    parent_client, family, shared_cache, settings
):
    parent_client.get(ACCOUNT)
    load(parent_client)
    settings.PAGE_CACHE_SECONDS = 0  # a batch or a worker run with pages turned off
    services.record_payment(family, Decimal("6.00"), PaymentMethod.CASH)
    settings.PAGE_CACHE_SECONDS = 600
    assert "Règlement Espèces" in load(parent_client)[0].content.decode()


def test_a_query_parameter_the_page_does_not_read_is_not_kept(parent_client, shared_cache):
    parent_client.get(ACCOUNT)
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert parent_client.get(ACCOUNT + "?x=1").status_code == 200
        assert [q for q in queries if "billing_ledgerentry" in q["sql"]]


def test_a_cache_failure_at_commit_loses_neither_the_payment_nor_the_other_hooks(
    family, shared_cache, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise ConnectionError("cache unavailable")

    monkeypatch.setattr(cache, "set_many", broken)
    done = []
    with transaction.atomic():
        services.record_payment(family, Decimal("8.00"), PaymentMethod.CASH)
        transaction.on_commit(lambda: done.append("e-mail"))
    assert done == ["e-mail"]
    assert services.family_balance(family) == Decimal("-8.00")
    assert "Could not mark tables" in caplog.text
