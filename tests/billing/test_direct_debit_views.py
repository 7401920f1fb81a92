"""The family's direct debit pages and the director's admin pages: what each sees, what
each can do, and the three-actor rule (another family, a director of another structure,
anonymous) on every new URL and file.
"""

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group
from django.urls import reverse

import pytest

from billing.direct_debit import services as dd
from billing.direct_debit.models import DebitBatch, DebitLine, Mandate
from billing.ledger.services import family_balance
from billing.models import PaymentReversal, Reminder, ReminderPause
from parents.roles import DIRECTION_GROUP
from tests.factories.billing import issued_invoice, line
from tests.factories.direct_debit import (
    IBAN_FR,
    IBAN_FR_2,
    active_mandate,
    direct_debit_settings,
    reminder_settings,
)
from tests.factories.parents import UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 16)


@pytest.fixture
def setup(structure, other_structure, family, guardian, other_guardian):
    direct_debit_settings(structure)
    direct_debit_settings(other_structure)
    reminder_settings(structure)
    issued_invoice(family, line("36.07"), issue_date=date(2026, 10, 1))
    mandate = active_mandate(family)
    batch = dd.prepare_batch(structure, date(2026, 12, 5), today=TODAY, notify=False)
    return {"mandate": mandate, "batch": batch, "family": family}


@pytest.fixture
def other_director(other_structure):
    from parents.roles import setup_roles

    setup_roles()
    user = UserFactory(username="directeur.levignac")
    user.groups.add(Group.objects.get(name=DIRECTION_GROUP))
    user.structures.add(other_structure)
    return user


def test_account_page_shows_the_next_debit_instead_of_card_payment(setup, parent_client, family):
    content = parent_client.get(reverse("billing:account")).content.decode()
    assert "Prélèvement automatique" in content
    assert "36,07 € le 5 décembre 2026" in content
    assert "Paiement en ligne" not in content
    assert IBAN_FR not in content


def test_a_parent_signs_a_mandate_and_downloads_it(structure, family, guardian, parent_client):
    direct_debit_settings(structure)
    url = reverse("billing:direct-debit")
    page = parent_client.get(url).content.decode()
    assert "FR72ZZZ123456" in page and "Signer le mandat" in page
    # A typo in the IBAN: a clear error, nothing recorded, the page answers 200.
    response = parent_client.post(
        url, {"holder_name": "Marie DUPONT", "iban": "FR7630006000011234567890188", "consent": "on"}
    )
    assert response.status_code == 200
    assert "clé de contrôle" in response.content.decode() or "check digits" in (
        response.content.decode()
    )
    assert not Mandate.objects.exists()
    # No consent: nothing signed.
    response = parent_client.post(url, {"holder_name": "Marie DUPONT", "iban": IBAN_FR})
    assert response.status_code == 200
    assert not Mandate.objects.exists()
    response = parent_client.post(
        url,
        {
            "holder_name": "Marie DUPONT",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "consent": "on",
        },
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302
    mandate = Mandate.objects.get()
    assert (mandate.signed_ip, mandate.signed_by) == ("198.51.100.4", guardian.user)
    page = parent_client.get(url).content.decode()
    assert mandate.reference in page and "•••• 0189" in page
    assert IBAN_FR not in page and "3000 6000" not in page
    pdf = parent_client.get(reverse("billing:mandate-pdf", args=[mandate.pk]))
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_a_parent_asks_to_stop(setup, parent_client):
    response = parent_client.post(reverse("billing:direct-debit-stop"))
    assert response.status_code == 302
    setup["mandate"].refresh_from_db()
    assert setup["mandate"].stop_requested_at is not None
    assert setup["batch"].lines.get().status == DebitLine.Status.EXCLUDED


FAMILY_URLS = [
    ("billing:direct-debit", False),
    ("billing:direct-debit-stop", False),
]


def test_three_actors_family_side(setup, client, other_guardian, director):
    mandate = setup["mandate"]
    pdf = reverse("billing:mandate-pdf", args=[mandate.pk])
    # Anonymous: the login page.
    for url in (pdf, reverse("billing:direct-debit")):
        assert client.get(url).status_code == 302
    assert client.post(reverse("billing:direct-debit-stop")).status_code == 302
    # Another family: 404 on the mandate, its own (empty) page otherwise, nothing changes.
    client.force_login(other_guardian.user)
    assert client.get(pdf).status_code == 404
    assert client.post(reverse("billing:direct-debit-stop")).status_code == 404
    assert mandate.reference not in client.get(reverse("billing:direct-debit")).content.decode()
    # A director has no family area.
    client.force_login(director)
    assert client.get(pdf).status_code == 404
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE and mandate.stop_requested_at is None


def admin_urls(setup):
    mandate, batch, family = setup["mandate"], setup["batch"], setup["family"]
    return {
        "get": [
            reverse("direct_debit:mandate", args=[mandate.pk]),
            reverse("direct_debit:mandate_pdf", args=[mandate.pk]),
            reverse("direct_debit:batch", args=[batch.pk]),
            reverse("direct_debit:batch_file", args=[batch.pk]),
            reverse("direct_debit:settings") + f"?structure={mandate.structure_id}",
            reverse("direct_debit:index") + f"?structure={mandate.structure_id}",
            reverse("payment_reminders:letter", args=[family.pk]),
            reverse("payment_reminders:index") + f"?structure={mandate.structure_id}",
        ],
        "post": [
            (reverse("direct_debit:mandate_action", args=[mandate.pk, "revoke"]), {}),
            (reverse("direct_debit:batch_action", args=[batch.pk, "send"]), {}),
            (reverse("direct_debit:batch_action", args=[batch.pk, "cancel"]), {}),
            (
                reverse("direct_debit:prepare"),
                {"structure": mandate.structure_id, "collection_date": "2027-01-05"},
            ),
            (reverse("payment_reminders:pause", args=[family.pk, "pause"]), {}),
            (reverse("payment_reminders:send"), {"structure": mandate.structure_id}),
        ],
    }


def test_three_actors_admin_side(setup, client, verified_client, other_director, guardian):
    urls = admin_urls(setup)
    # Anonymous: the admin login page.
    for url in urls["get"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]
    # A family's login: no admin.
    client.force_login(guardian.user)
    for url in urls["get"]:
        assert client.get(url).status_code in (302, 403)
    client.logout()
    # A director of another structure: 404 on every object, nothing changes.
    staff = verified_client(other_director)
    for url in urls["get"]:
        assert staff.get(url).status_code == 404, url
    for url, data in urls["post"]:
        assert staff.post(url, data).status_code == 404, url
    setup["mandate"].refresh_from_db()
    setup["batch"].refresh_from_db()
    assert setup["mandate"].status == Mandate.Status.ACTIVE
    assert setup["batch"].status == DebitBatch.Status.PREPARED
    assert DebitBatch.objects.count() == 1
    assert not ReminderPause.objects.exists() and not Reminder.objects.exists()


def test_the_director_runs_the_month(setup, verified_client, director, family):
    staff = verified_client(director)
    batch = setup["batch"]
    index = staff.get(reverse("direct_debit:index") + f"?structure={family.structure_id}")
    assert index.status_code == 200
    assert setup["mandate"].reference in index.content.decode()
    page = staff.get(reverse("direct_debit:batch", args=[batch.pk])).content.decode()
    assert "36,07 €" in page and "FRST" in page
    xml = staff.get(reverse("direct_debit:batch_file", args=[batch.pk]))
    assert xml.status_code == 200 and b"pain.008.001.02" in xml.content
    assert IBAN_FR.encode() in xml.content  # the bank file alone carries the IBAN
    staff.post(reverse("direct_debit:batch_action", args=[batch.pk, "send"]))
    assert family_balance(family) == 0
    debit = batch.lines.get()
    response = staff.post(
        reverse("direct_debit:batch_action", args=[batch.pk, "reject"]),
        {"line": debit.pk, "code": "AM04", "reject_date": "2026-12-09"},
    )
    assert response.status_code == 302
    assert PaymentReversal.objects.get().note.startswith("AM04")
    assert family_balance(family) == Decimal("36.07")
    # A malformed upload: a message, no error page.
    response = staff.post(
        reverse("direct_debit:return"),
        {"structure": family.structure_id, "file": _upload(b"garbage")},
    )
    assert response.status_code == 302


def _upload(data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("retour.xml", data, content_type="application/xml")


def test_the_director_records_and_revokes_a_paper_mandate(
    structure, verified_client, director, family
):
    direct_debit_settings(structure)
    staff = verified_client(director)
    url = reverse("direct_debit:paper")
    response = staff.post(
        url,
        {"family": family.pk, "holder_name": "Marie", "iban": "FR76BAD", "signed_on": "2026-10-01"},
    )
    assert response.status_code == 200 and not Mandate.objects.exists()
    response = staff.post(
        url,
        {"family": family.pk, "holder_name": "Marie", "iban": IBAN_FR_2, "signed_on": "2026-10-01"},
    )
    mandate = Mandate.objects.get()
    assert response.status_code == 302 and mandate.status == Mandate.Status.ACTIVE
    detail = staff.get(reverse("direct_debit:mandate", args=[mandate.pk])).content.decode()
    assert "•••• 2606" in detail and IBAN_FR_2 not in detail
    staff.post(
        reverse("direct_debit:mandate_action", args=[mandate.pk, "revoke"]), {"reason": "Départ"}
    )
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.REVOKED


def test_settings_refuse_a_wrong_creditor_identifier(structure, verified_client, director):
    staff = verified_client(director)
    url = reverse("direct_debit:settings") + f"?structure={structure.pk}"
    assert staff.get(url).status_code == 200
    data = {
        "structure": structure.pk,
        "dd-enabled": "on",
        "dd-creditor_identifier": "FR12ZZZ123456",
        "dd-creditor_iban": "FR7630004000031234567890143",
        "dd-debit_day": "5",
        "dd-notice_days": "14",
        "dd-minimum_amount": "1",
        "dd-reject_fee": "0",
        "dd-mandate_text": "Texte",
        "dd-months": ["1", "2"],
        "rm-first_delay_days": "15",
        "rm-second_delay_days": "30",
        "rm-minimum_amount": "1",
        "rm-first_text": "a",
        "rm-second_text": "b",
    }
    response = staff.post(url, data)
    assert response.status_code == 200
    assert not structure.__class__.objects.get(pk=structure.pk).__dict__.get("x")
    data["dd-creditor_identifier"] = "FR72ZZZ123456"
    response = staff.post(url, data)
    assert response.status_code == 302
    settings = dd.direct_debit_settings(structure)
    assert settings.is_ready and settings.months() == [1, 2]


def test_the_paper_mandate_family_is_chosen_in_the_chooser(
    structure, verified_client, director, family, other_guardian
):
    """No <select> of every family (megabytes at 100,000): the family chooser, with its
    script; a family of another structure is refused as before."""
    direct_debit_settings(structure)
    staff = verified_client(director)
    url = reverse("direct_debit:paper")
    page = staff.get(url).content.decode()
    assert 'data-chooser-url="/admin/familles/choisir/"' in page
    assert "chooser-widget.js" in page and 'new Chooser("id_family"' in page
    assert family.name not in page and other_guardian.family.name not in page
    response = staff.post(
        url,
        {
            "family": other_guardian.family.pk,
            "holder_name": "Marie",
            "iban": IBAN_FR_2,
            "signed_on": "2026-10-01",
        },
    )
    assert response.status_code == 200 and not Mandate.objects.exists()
