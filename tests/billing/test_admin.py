import csv
import io
from datetime import date
from decimal import Decimal
from html import unescape

from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook

from billing.ledger.services import family_balance, record_payment
from billing.ledger.viewsets import billing_permissions
from billing.models import (
    Category,
    CreditNote,
    DocumentStatus,
    Invoice,
    LedgerEntry,
    Payment,
    PaymentMethod,
    PaymentReversal,
)
from parents.roles import DIRECTION_GROUP
from tests.factories.billing import draft_invoice, issued_invoice, line
from tests.factories.parents import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def director_client(director, verified_client):
    # The Direction role is wired in parents.roles; until it lists the billing
    # permissions, grant them here so that these tests exercise the same set.
    group = Group.objects.get(name=DIRECTION_GROUP)
    group.permissions.add(
        *[
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in billing_permissions()
        ]
    )
    return verified_client(director)


@pytest.fixture
def child(family):
    return family.children.get()


@pytest.fixture
def other_family(other_guardian):
    ChildFactory(family=other_guardian.family, first_name="Nina")
    return other_guardian.family


def html(response):
    return unescape(response.content.decode())


def messages_of(response):
    # A message may end with action buttons (HTML): keep its text.
    return [str(message).split("<")[0].strip() for message in response.context["messages"]]


def french_csv_rows(response):
    """The rows of a CSV export in French Excel's dialect: UTF-8 with BOM, `;` separated."""
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def this_year_number(value):
    return f"F{timezone.localdate().year}/{value:04d}"


def invoice_form_data(family, lines, **overrides):
    """The add/edit form as the browser posts it: fields, then the lines' formset."""
    data = {
        "family": family.pk,
        "period_start": "",
        "period_end": "",
        "note": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, values in enumerate(lines):
        for name, value in values.items():
            data[f"lines-{index}-{name}"] = value
        data.setdefault(f"lines-{index}-id", "")
        data.setdefault(f"lines-{index}-DELETE", "")
    data.update(overrides)
    return data


def line_data(child=None, **overrides):
    values = {
        "child": child.pk if child else "",
        "label": "Mercredi journée",
        "category": Category.GARDE,
        "service_date": "2025-03-12",
        "service_end": "",
        "quantity": "2",
        "unit_price": "6.50",
    }
    values.update(overrides)
    return values


def payment_data(family, **overrides):
    data = {
        "family": family.pk,
        "date": "2025-03-22",
        "amount": "20.00",
        "method": PaymentMethod.CHEQUE,
        "cheque_number": "9038108",
        "reference": "",
        "payer_kind": Payment.PayerKind.FAMILY,
        "payer": "",
        "third_party_name": "",
        "note": "",
    }
    data.update(overrides)
    return data


# Menu and lists


def test_billing_menu_is_in_french(director_client):
    content = html(director_client.get(reverse("wagtailadmin_home")))

    assert "Facturation" in content
    for url_name in (
        "invoices:index",
        "credit_notes:index",
        "payments:index",
        "billing_statements:index",
    ):
        assert reverse(url_name) in content


def test_invoice_list_shows_only_the_directors_structure(director_client, family, other_family):
    own = issued_invoice(family, line("16.20"))
    other = issued_invoice(other_family, line("99.00"))
    draft = draft_invoice(family, line("3.50"))

    response = director_client.get(reverse("invoices:index"))

    content = html(response)
    assert response.status_code == 200
    assert own.number in content
    assert "16,20 €" in content
    assert f"Brouillon n° {draft.pk}" in content
    assert "3,50 €" in content
    assert "BERNARD" not in content
    assert "99,00 €" not in content
    assert "Lévignac" not in content
    # The other structure's invoice shows neither by its number nor by its link.
    assert other.number not in content
    assert reverse("invoices:inspect", args=[other.pk]) not in content


def test_invoice_export_csv_and_xlsx_list_the_numbers(director_client, family, other_family):
    first = issued_invoice(family, line("10.00"), issue_date=date(2025, 1, 31))
    second = issued_invoice(family, line("12.50"), issue_date=date(2025, 2, 28))
    issued_invoice(other_family, line("99.00"), issue_date=date(2025, 1, 31))

    response = director_client.get(reverse("invoices:index"), {"export": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = french_csv_rows(response)
    assert rows[0][:3] == ["Numéro", "Structure", "Référence famille"]
    numbers = [row[0] for row in rows[1:]]
    assert sorted(numbers) == sorted([first.number, second.number])
    assert rows[1][-2:] == ["12,50", "émise"]

    response = director_client.get(reverse("invoices:index"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == sorted(
        [first.number, second.number]
    )


def test_invoice_list_filters_by_status(director_client, family):
    issued = issued_invoice(family, line("10.00"))
    draft = draft_invoice(family, line("3.50"))

    content = html(director_client.get(reverse("invoices:index"), {"status": "draft"}))

    assert f"Brouillon n° {draft.pk}" in content
    assert issued.number not in content


def test_staff_without_billing_permissions_see_no_billing(verified_client, structure, family):
    from parents.roles import COMMUNICATION_GROUP, setup_roles
    from tests.factories.parents import UserFactory

    setup_roles()
    user = UserFactory(username="communication.test")
    user.groups.add(Group.objects.get(name=COMMUNICATION_GROUP))
    user.structures.add(structure)
    client = verified_client(user)
    invoice = issued_invoice(family, line("10.00"))

    assert "Facturation" not in html(client.get(reverse("wagtailadmin_home")))
    for url in (
        reverse("invoices:index"),
        reverse("invoices:inspect", args=[invoice.pk]),
        reverse("payments:add"),
        reverse("billing_statements:statement", args=[family.pk]),
    ):
        # Wagtail answers a refused permission with a redirect to the dashboard.
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("wagtailadmin_home")


# Drafts


def test_director_creates_a_draft_with_two_lines(director_client, director, family, child):
    assert director_client.get(reverse("invoices:add")).status_code == 200
    data = invoice_form_data(
        family,
        [
            line_data(child),
            line_data(
                child, label="Repas", category=Category.REPAS, quantity="2", unit_price="3.20"
            ),
        ],
    )

    response = director_client.post(reverse("invoices:add"), data)

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("invoices:inspect", args=[invoice.pk])
    assert invoice.status == DocumentStatus.DRAFT
    assert invoice.number == ""
    assert invoice.structure == family.structure
    assert invoice.created_by == director
    assert [(li.label, li.child, li.amount) for li in invoice.lines.order_by("sort_order")] == [
        ("Mercredi journée", child, Decimal("13.00")),
        ("Repas", child, Decimal("6.40")),
    ]
    # A draft is not on the family's account.
    assert not LedgerEntry.objects.exists()
    page = html(director_client.get(response["Location"]))
    assert "Émettre la facture" in page
    assert "19,40 €" in page


def test_a_draft_needs_a_line(director_client, family):
    data = invoice_form_data(family, [])

    response = director_client.post(reverse("invoices:add"), data)

    assert response.status_code == 200
    assert not Invoice.objects.exists()


def test_a_line_for_a_child_of_another_family_is_refused(director_client, family):
    neighbour = ChildFactory(family=FamilyFactory(structure=family.structure), first_name="Tom")
    data = invoice_form_data(family, [line_data(neighbour)])

    response = director_client.post(reverse("invoices:add"), data)

    assert response.status_code == 200
    assert "Cet enfant n'appartient pas à la famille." in html(response)
    assert not Invoice.objects.exists()


def test_invoice_form_offers_only_the_directors_families_and_children(
    director_client, family, other_family
):
    # The family is chosen in the family chooser (its views keep to the director's
    # families); opened for a family, the form shows it and offers its children.
    content = html(director_client.get(reverse("invoices:add"), {"family": family.pk}))
    assert "DUPONT (DUP001)" in content
    assert "Léa DUPONT (DUP001)" in content
    assert "BERNARD" not in content
    assert "Nina" not in content
    # Opened for another structure's family, or for none: nothing of it is offered.
    for query in ({"family": other_family.pk}, {}):
        content = html(director_client.get(reverse("invoices:add"), query))
        assert "BERNARD" not in content and "Nina" not in content
        assert "Léa DUPONT (DUP001)" not in content

    other_child = other_family.children.get()
    response = director_client.post(
        reverse("invoices:add"), invoice_form_data(other_family, [line_data(other_child)])
    )
    assert response.status_code == 200
    assert not Invoice.objects.exists()


def test_director_edits_a_draft(director_client, family, child):
    invoice = draft_invoice(family, line("10.00", child=child))
    existing = invoice.lines.get()
    neighbours = FamilyFactory(structure=family.structure)
    data = invoice_form_data(
        # The family is fixed once the draft exists: a posted one is ignored.
        neighbours,
        [line_data(child, id=str(existing.pk), quantity="3", unit_price="5.00")],
        note="Mars",
        **{"lines-INITIAL_FORMS": "1"},
    )

    response = director_client.post(reverse("invoices:edit", args=[invoice.pk]), data)

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.family == family
    assert invoice.note == "Mars"
    assert invoice.lines.get().amount == Decimal("15.00")


def test_director_deletes_a_draft(director_client, family):
    invoice = draft_invoice(family, line("10.00"))

    response = director_client.post(reverse("invoices:delete", args=[invoice.pk]))

    assert response.status_code == 302
    assert not Invoice.objects.exists()


# Issuing


def test_issue_action_numbers_the_invoice_and_stores_its_pdf(director_client, director, family):
    invoice = draft_invoice(family, line("6.50", quantity="2"), line("3.20"))
    url = reverse("invoices:issue", args=[invoice.pk])
    assert "Émettre la facture" in html(director_client.get(url))

    response = director_client.post(url, follow=True)

    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.ISSUED
    assert invoice.number == this_year_number(1)
    assert invoice.issued_by == director
    assert f"Facture {invoice.number} émise : 16,20 €." in messages_of(response)
    assert family_balance(family) == Decimal("16.20")

    pdf = director_client.get(reverse("invoices:pdf", args=[invoice.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    history = html(director_client.get(reverse("invoices:history", args=[invoice.pk])))
    assert "Facture émise" in history
    assert "directeur.test" in history


def test_issuing_twice_is_refused_without_a_second_number(director_client, family):
    invoice = issued_invoice(family, line("10.00"))

    response = director_client.post(reverse("invoices:issue", args=[invoice.pk]), follow=True)

    assert "Cette facture est déjà émise." in messages_of(response)
    assert Invoice.objects.get().number == this_year_number(1)
    assert LedgerEntry.objects.count() == 1


def test_issue_requires_the_csrf_token(director_client, director, family):
    # director_client grants the permissions; this second client checks CSRF like a browser.
    invoice = draft_invoice(family, line("10.00"))
    strict = Client(enforce_csrf_checks=True)
    device = TOTPDevice.objects.create(user=director, name="test", confirmed=True)
    strict.force_login(director)
    session = strict.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    response = strict.post(reverse("invoices:issue", args=[invoice.pk]))

    assert response.status_code == 403
    assert Invoice.objects.get().is_draft


def test_issued_invoice_cannot_be_edited_or_deleted(director_client, family, child):
    invoice = issued_invoice(family, line("10.00", child=child))
    existing = invoice.lines.get()
    refusal = (
        f"Facture {invoice.number} est émise et ne peut plus être modifiée ni supprimée ; "
        "établissez un avoir."
    )
    inspect_url = reverse("invoices:inspect", args=[invoice.pk])

    for url in (
        reverse("invoices:edit", args=[invoice.pk]),
        reverse("invoices:delete", args=[invoice.pk]),
    ):
        response = director_client.get(url)
        assert response.status_code == 302
        assert response["Location"] == inspect_url

    data = invoice_form_data(
        family,
        [line_data(child, id=str(existing.pk), quantity="9", unit_price="9.00")],
        note="changed",
        **{"lines-INITIAL_FORMS": "1"},
    )
    response = director_client.post(reverse("invoices:edit", args=[invoice.pk]), data, follow=True)
    assert refusal in messages_of(response)
    response = director_client.post(reverse("invoices:delete", args=[invoice.pk]), follow=True)
    assert refusal in messages_of(response)

    invoice.refresh_from_db()
    assert invoice.note == ""
    assert invoice.total == Decimal("10.00")
    assert invoice.lines.get().amount == Decimal("10.00")
    assert family_balance(family) == Decimal("10.00")
    # Nor is either offered: the list links the issued invoice to its inspect view.
    listing = html(director_client.get(reverse("invoices:index")))
    assert reverse("invoices:edit", args=[invoice.pk]) not in listing
    assert reverse("invoices:delete", args=[invoice.pk]) not in listing
    assert inspect_url in listing


def test_issued_invoice_inspect_view(director_client, family, child):
    invoice = issued_invoice(family, line("10.00", child=child, label="Mercredi journée"))
    record_payment(family, "4.00", PaymentMethod.CASH)

    content = html(director_client.get(reverse("invoices:inspect", args=[invoice.pk])))

    assert invoice.number in content
    assert "Mercredi journée" in content
    assert "Règlement Espèces" in content
    assert "4,00 €" in content
    assert "6,00 €" in content  # left to pay on the line
    assert reverse("invoices:pdf", args=[invoice.pk]) in content
    assert reverse("invoices:credit_note", args=[invoice.pk]) in content
    assert reverse("billing_statements:statement", args=[family.pk]) in content
    assert "Émettre la facture" not in content


# Credit notes


def test_partial_credit_note_from_the_invoice(director_client, family, child):
    invoice = issued_invoice(
        family, line("6.50", quantity="2", child=child), line("3.20", child=child)
    )
    first, second = invoice.lines.order_by("sort_order")
    url = reverse("invoices:credit_note", args=[invoice.pk])
    assert "Créer un avoir" in html(director_client.get(url))

    response = director_client.post(
        url,
        {
            "reason": "Absence justifiée",
            "extent": "lines",
            f"quantity_{first.pk}": "1",
            f"quantity_{second.pk}": "",
        },
        follow=True,
    )

    credit_note = CreditNote.objects.get()
    assert credit_note.status == DocumentStatus.ISSUED
    assert credit_note.number == f"AV{timezone.localdate().year}/0001"
    assert credit_note.total == Decimal("6.50")
    assert credit_note.reason == "Absence justifiée"
    assert [cl.invoice_line for cl in credit_note.lines.all()] == [first]
    assert f"Avoir {credit_note.number} émis : 6,50 €." in messages_of(response)
    assert family_balance(family) == Decimal("9.70")
    pdf = director_client.get(reverse("credit_notes:pdf", args=[credit_note.pk]))
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_whole_invoice_credit_note(director_client, family):
    invoice = issued_invoice(family, line("10.00"), line("5.00"))

    director_client.post(
        reverse("invoices:credit_note", args=[invoice.pk]),
        {"reason": "Facture en double", "extent": "whole"},
    )

    assert CreditNote.objects.get().total == Decimal("15.00")
    assert family_balance(family) == Decimal("0.00")


def test_crediting_more_than_invoiced_is_refused_in_french(director_client, family):
    invoice = issued_invoice(family, line("10.00"))
    url = reverse("invoices:credit_note", args=[invoice.pk])
    director_client.post(url, {"reason": "Erreur", "extent": "whole"})

    response = director_client.post(url, {"reason": "Encore", "extent": "whole"})

    assert response.status_code == 200
    assert "ne peut pas être crédité au-delà du montant facturé" in html(response)
    assert CreditNote.objects.count() == 1
    assert family_balance(family) == Decimal("0.00")


def test_credit_notes_have_no_edit_or_delete(director_client, family):
    invoice = issued_invoice(family, line("10.00"))
    director_client.post(
        reverse("invoices:credit_note", args=[invoice.pk]), {"reason": "Erreur", "extent": "whole"}
    )
    credit_note = CreditNote.objects.get()

    listing = html(director_client.get(reverse("credit_notes:index")))
    inspect = html(director_client.get(reverse("credit_notes:inspect", args=[credit_note.pk])))

    assert credit_note.number in listing
    assert invoice.number in inspect
    assert "/facturation/avoirs/edit/" not in listing + inspect
    assert "/facturation/avoirs/delete/" not in listing + inspect
    assert (
        director_client.get(f"/admin/facturation/avoirs/edit/{credit_note.pk}/").status_code == 404
    )
    assert director_client.get("/admin/facturation/avoirs/new/").status_code == 404


def test_history_views_show_the_audit_entries(director_client, family):
    invoice = issued_invoice(family, line("10.00"))
    director_client.post(
        reverse("invoices:credit_note", args=[invoice.pk]), {"reason": "Erreur", "extent": "whole"}
    )
    director_client.post(reverse("payments:add"), payment_data(family, amount="5.00"))

    credit_note = html(
        director_client.get(reverse("credit_notes:history", args=[CreditNote.objects.get().pk]))
    )
    payment = html(
        director_client.get(reverse("payments:history", args=[Payment.objects.get().pk]))
    )

    assert "Avoir émis" in credit_note
    assert "Règlement enregistré" in payment
    assert "directeur.test" in credit_note + payment


# Payments


def test_record_a_cheque_payment(director_client, director, family, guardian):
    invoice = issued_invoice(family, line("20.00"))
    # The statement's "Record a payment" link pre-selects the family.
    page = director_client.get(reverse("payments:add"), {"family": family.pk})
    assert "Enregistrer le règlement" in html(page)
    assert page.context["form"]["family"].value() == family.pk

    response = director_client.post(
        reverse("payments:add"), payment_data(family, payer=guardian.pk), follow=True
    )

    payment = Payment.objects.get()
    assert payment.method == PaymentMethod.CHEQUE
    assert payment.cheque_number == "9038108"
    assert payment.amount == Decimal("20.00")
    assert payment.payer == guardian
    assert payment.recorded_by == director
    assert payment.structure == family.structure
    assert "Règlement de 20,00 € enregistré pour DUPONT (DUP001)." in messages_of(response)
    entry = LedgerEntry.objects.get(payment=payment)
    assert (entry.label, entry.date, entry.credit) == (
        "Règlement Chèques 9038108",
        date(2025, 3, 22),
        Decimal("20.00"),
    )
    assert family_balance(family) == Decimal("0.00")
    assert payment.allocations.get().invoice_line == invoice.lines.get()

    statement = html(director_client.get(reverse("billing_statements:statement", args=[family.pk])))
    assert "Règlement Chèques 9038108" in statement
    assert "Aucun solde dû" in statement


def test_payment_form_errors_are_in_french(director_client, family, other_guardian):
    response = director_client.post(
        reverse("payments:add"),
        payment_data(family, cheque_number="", amount="0", payer=other_guardian.pk),
    )

    content = html(response)
    assert response.status_code == 200
    assert "Saisissez le numéro du chèque." in content
    assert "Le montant d'un règlement doit être positif." in content
    assert not Payment.objects.exists()


def test_a_card_payment_cannot_be_recorded_twice(director_client, family):
    # A card payment is identified by its PaymentIntent: the same one cannot come twice.
    record_payment(family, "5.00", PaymentMethod.CARD_ONLINE, reference="pi_123")

    response = director_client.post(
        reverse("payments:add"),
        payment_data(
            family, method=PaymentMethod.CARD_ONLINE, cheque_number="", reference="pi_123"
        ),
    )

    assert response.status_code == 200
    assert Payment.objects.count() == 1


def test_payments_have_no_edit_or_delete(director_client, family):
    payment = record_payment(family, "5.00", PaymentMethod.CASH)

    inspect = html(director_client.get(reverse("payments:inspect", args=[payment.pk])))

    assert "Annuler le règlement" in inspect
    assert "/facturation/reglements/edit/" not in inspect
    assert (
        director_client.get(f"/admin/facturation/reglements/edit/{payment.pk}/").status_code == 404
    )
    assert (
        director_client.post(f"/admin/facturation/reglements/delete/{payment.pk}/").status_code
        == 404
    )
    assert Payment.objects.count() == 1


def test_reverse_a_bounced_cheque(director_client, director, family):
    issued_invoice(family, line("20.00"))
    director_client.post(reverse("payments:add"), payment_data(family))
    payment = Payment.objects.get()
    assert family_balance(family) == Decimal("0.00")
    url = reverse("payments:reverse", args=[payment.pk])
    assert director_client.get(url).status_code == 200

    response = director_client.post(
        url,
        {"amount": "20.00", "reason": PaymentReversal.Reason.BOUNCED, "date": "2025-04-02"},
        follow=True,
    )

    reversal = PaymentReversal.objects.get()
    assert (reversal.amount, reversal.date, reversal.recorded_by) == (
        Decimal("20.00"),
        date(2025, 4, 2),
        director,
    )
    assert family_balance(family) == Decimal("20.00")
    assert "Règlement Chèques 9038108 : 20,00 € annulés." in messages_of(response)
    payment.refresh_from_db()
    assert payment.amount == Decimal("20.00")
    # Nothing is left to reverse, so the action is no longer offered nor accepted.
    assert url not in html(director_client.get(reverse("payments:inspect", args=[payment.pk])))
    response = director_client.post(
        url, {"amount": "1.00", "reason": PaymentReversal.Reason.ERROR, "date": "2025-04-03"}
    )
    assert response.status_code == 200
    assert PaymentReversal.objects.count() == 1


def test_payment_list_and_export(director_client, family, other_family):
    record_payment(family, "12.00", PaymentMethod.CHEQUE, cheque_number="111222")
    record_payment(other_family, "77.00", PaymentMethod.CHEQUE, cheque_number="999888")

    listing = html(director_client.get(reverse("payments:index")))
    export = director_client.get(reverse("payments:index"), {"export": "csv"})

    assert "111222" in listing
    assert "12,00 €" in listing
    assert "999888" not in listing
    content = b"".join(export.streaming_content).decode()
    assert "111222" in content
    assert "999888" not in content


# Statement


def test_statement_shows_the_running_balance_and_allocations(director_client, family):
    invoice = issued_invoice(
        family, line("20.00", label="Mercredi journée"), issue_date=date(2025, 3, 9)
    )
    record_payment(
        family, "5.00", PaymentMethod.CHEQUE, cheque_number="9038108", on_date=date(2025, 3, 22)
    )
    url = reverse("billing_statements:statement", args=[family.pk])
    assert url == f"/admin/facturation/famille/{family.pk}/releve/"

    response = director_client.get(url)

    content = html(response)
    assert response.status_code == 200
    assert "Solde débiteur au" in content
    assert "15,00 €" in content
    rows = [(entry.label, entry.running_balance) for entry in response.context["entries"]]
    assert rows == [
        ("Règlement Chèques 9038108", Decimal("15.00")),
        (f"Facture {invoice.number}", Decimal("20.00")),
    ]
    assert "Mercredi journée" in content
    assert "22/03/2025" in content


def test_statement_csv_for_the_accountant(director_client, family):
    invoice = issued_invoice(family, line("20.00"), issue_date=date(2025, 3, 9))
    record_payment(
        family, "5.00", PaymentMethod.CHEQUE, cheque_number="9038108", on_date=date(2025, 3, 22)
    )

    response = director_client.get(
        reverse("billing_statements:statement", args=[family.pk]), {"export": "csv"}
    )

    assert response.status_code == 200
    assert "releve-DUP001.csv" in response["Content-Disposition"]
    rows = french_csv_rows(response)
    assert rows == [
        ["Date", "Opération", "Débit", "Crédit", "Solde"],
        ["09/03/2025", f"Facture {invoice.number}", "20,00", "0,00", "20,00"],
        ["22/03/2025", "Règlement Chèques 9038108", "0,00", "5,00", "15,00"],
    ]


def test_statement_index_lists_the_directors_families_with_their_balance(
    director_client, family, other_family
):
    issued_invoice(family, line("20.00"))

    content = html(director_client.get(reverse("billing_statements:index")))

    assert "DUPONT (DUP001)" in content
    assert "20,00 €" in content
    assert reverse("billing_statements:statement", args=[family.pk]) in content
    assert "BERNARD" not in content


# Scope: another structure's objects


@pytest.fixture
def other_documents(other_family):
    invoice = issued_invoice(other_family, line("30.00"), render_pdf=True)
    draft = draft_invoice(other_family, line("8.00"))
    payment = record_payment(other_family, "30.00", PaymentMethod.CHEQUE, cheque_number="555")
    return {"invoice": invoice, "draft": draft, "payment": payment}


def test_another_structures_pages_are_not_found(director_client, other_documents, other_family):
    invoice, draft, payment = (
        other_documents["invoice"],
        other_documents["draft"],
        other_documents["payment"],
    )
    # The PDF exists: a 404 below comes from the scope, not from a missing file.
    assert invoice.pdf.storage.exists(invoice.pdf.name)
    urls = [
        reverse("invoices:inspect", args=[invoice.pk]),
        reverse("invoices:edit", args=[draft.pk]),
        reverse("invoices:delete", args=[draft.pk]),
        reverse("invoices:issue", args=[draft.pk]),
        reverse("invoices:history", args=[invoice.pk]),
        reverse("invoices:pdf", args=[invoice.pk]),
        reverse("invoices:credit_note", args=[invoice.pk]),
        reverse("payments:inspect", args=[payment.pk]),
        reverse("payments:reverse", args=[payment.pk]),
        reverse("billing_statements:statement", args=[other_family.pk]),
        reverse("billing_statements:statement", args=[other_family.pk]) + "?export=csv",
    ]
    for url in urls:
        assert director_client.get(url).status_code == 404, url


def test_posts_to_another_structure_change_nothing(director_client, other_documents):
    invoice, draft, payment = (
        other_documents["invoice"],
        other_documents["draft"],
        other_documents["payment"],
    )

    responses = [
        director_client.post(reverse("invoices:issue", args=[draft.pk])),
        director_client.post(reverse("invoices:delete", args=[draft.pk])),
        director_client.post(
            reverse("invoices:credit_note", args=[invoice.pk]),
            {"reason": "x", "extent": "whole"},
        ),
        director_client.post(
            reverse("payments:reverse", args=[payment.pk]),
            {"amount": "30.00", "reason": "bounced", "date": "2025-04-02"},
        ),
    ]

    assert [response.status_code for response in responses] == [404] * 4
    draft.refresh_from_db()
    assert draft.is_draft
    assert not CreditNote.objects.exists()
    assert not PaymentReversal.objects.exists()


def test_another_structures_objects_are_not_listed(director_client, other_documents):
    invoices = html(director_client.get(reverse("invoices:index")))
    payments = html(director_client.get(reverse("payments:index")))
    export = b"".join(
        director_client.get(reverse("invoices:index"), {"export": "csv"}).streaming_content
    ).decode()

    assert "BERNARD" not in invoices + payments + export
    assert "30,00 €" not in invoices + payments
    assert reverse("invoices:inspect", args=[other_documents["invoice"].pk]) not in invoices


def test_payment_for_another_structures_family_is_refused(director_client, other_family):
    response = director_client.post(reverse("payments:add"), payment_data(other_family))

    assert response.status_code == 200
    assert not Payment.objects.exists()
