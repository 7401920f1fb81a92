"""Admin reports, logs and history views: a Brax director reads nothing of Lévignac."""

import io
from datetime import timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from wagtail.log_actions import log
from wagtail.models import Page

import pytest
from openpyxl import load_workbook

from billing.models import Invoice
from parents.roles import COMMUNICATION_GROUP
from parents.services import invite_guardian
from reservations import services as reservations_services
from tests.factories.billing import issued_invoice, line
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory, UserFactory
from tests.reservations.factories import slot, unit, wednesdays

pytestmark = pytest.mark.django_db

SITE_HISTORY = "/admin/reports/site-history/"


def book_a_wednesday(child, structure, by):
    today = timezone.localdate()
    period = wednesdays(structure, today, today + timedelta(days=42), name="Mercredis")
    journee = unit(period)
    first = today + timedelta(days=(2 - today.weekday()) % 7 + 7)
    return reservations_services.book(child, slot(journee, first), by=by, on_behalf=True)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin.test", is_superuser=True, is_staff=True)


@pytest.fixture
def levignac_history(other_structure, admin_user):
    """What the issue saw leak: an invoice number, a family name, a guardian's full name, a
    child's first name and a booking, all of Lévignac, all in the audit log."""
    other_structure.invoice_prefix = "LV"  # its own series, told apart from Brax's
    other_structure.save()
    family = FamilyFactory(structure=other_structure, name="BERNARDIN", reference="BER777")
    guardian = GuardianFactory(
        family=family,
        first_name="Gaspard",
        last_name="BERNARDIN",
        user=None,
        email="gaspard.bernardin@example.org",
    )
    child = ChildFactory(family=family, first_name="Zéphyrine")
    invite_guardian(guardian, by=admin_user)
    log(instance=family, action="wagtail.edit", user=admin_user)
    log(instance=child, action="wagtail.edit", user=admin_user)
    invoice = issued_invoice(family, line("12.00"), by=admin_user)
    booking = book_a_wednesday(child, other_structure, admin_user)
    return {"invoice": invoice, "family": family, "guardian": guardian, "booking": booking}


@pytest.fixture
def brax_history(structure, family, admin_user):
    issued_invoice(family, line("7.00"), by=admin_user)
    guardian = GuardianFactory(
        family=family,
        first_name="Bérénice",
        last_name="DUPONT",
        user=None,
        email="berenice.dupont@example.org",
    )
    invite_guardian(guardian, by=admin_user)
    return guardian


LEAKS = ("BERNARDIN", "Zéphyrine", "BER777", "gaspard")


def assert_no_leak(text):
    for secret in LEAKS:
        assert secret.lower() not in text.lower(), secret


@pytest.fixture
def director_client(director, verified_client):
    return verified_client(director)


def test_site_history_shows_only_the_directors_structures(
    director_client, levignac_history, brax_history
):
    response = director_client.get(SITE_HISTORY)
    assert response.status_code == 200
    content = response.content.decode()
    assert_no_leak(content)
    assert levignac_history["invoice"].number not in content
    # The director's own structure stays readable, invoices included.
    assert "Bérénice DUPONT" in content
    brax_invoice = Invoice.objects.get(family__structure__slug="brax")
    assert brax_invoice.number in content
    results = director_client.get(SITE_HISTORY + "results/").content.decode()
    assert_no_leak(results)
    assert "Bérénice DUPONT" in results


def test_site_history_exports_are_scoped(director_client, levignac_history, brax_history):
    csv = director_client.get(SITE_HISTORY + "?export=csv")
    assert csv.status_code == 200
    text = b"".join(csv.streaming_content).decode() if csv.streaming else csv.content.decode()
    assert_no_leak(text)
    assert levignac_history["invoice"].number not in text
    assert "Bérénice DUPONT" in text

    xlsx = director_client.get(SITE_HISTORY + "?export=xlsx")
    assert xlsx.status_code == 200
    body = b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content
    cells = " ".join(
        str(cell)
        for row in load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)
        for cell in row
    )
    assert_no_leak(cells)
    assert "Bérénice DUPONT" in cells


def test_site_history_filters_offer_nothing_of_levignac(director_client, levignac_history):
    content = director_client.get(SITE_HISTORY).content.decode()
    # The superuser who acted only in Lévignac is not offered as a user filter, nor the
    # invoice and booking types that only Lévignac entries have.
    assert "admin.test" not in content
    assert ">Facture<" not in content


def test_a_superuser_still_sees_everything(client, admin_user, verified_client, levignac_history):
    content = verified_client(admin_user).get(SITE_HISTORY).content.decode()
    assert "BERNARDIN" in content
    assert levignac_history["invoice"].number in content


def test_per_object_history_of_levignac_objects_is_not_found(director_client, levignac_history):
    invoice = levignac_history["invoice"]
    urls = [
        f"/admin/families/history/{levignac_history['family'].pk}/",
        f"/admin/guardians/history/{levignac_history['guardian'].pk}/",
        f"/admin/facturation/factures/history/{invoice.pk}/",
        f"/admin/facturation/reglements/history/{invoice.pk}/",
    ]
    for url in urls:
        assert director_client.get(url).status_code == 404, url


def test_page_history_and_page_reports_keep_to_the_directors_pages(
    verified_client, structure, brax_page, levignac_page, admin_user
):
    communication = UserFactory(username="communication.brax")
    from parents.roles import setup_roles

    setup_roles()
    communication.groups.add(Group.objects.get(name=COMMUNICATION_GROUP))
    communication.structures.add(structure)
    levignac_page.title = "Accueil secret de Lévignac"
    levignac_page.save_revision(user=admin_user).publish(user=admin_user)
    Page.objects.filter(pk=levignac_page.pk).update(
        locked=True, locked_by=admin_user, locked_at=timezone.now()
    )
    client = verified_client(communication)
    assert client.get(f"/admin/pages/{levignac_page.pk}/history/").status_code in (302, 403)
    for report in ("locked", "aging-pages", "workflow", "workflow_tasks"):
        response = client.get(f"/admin/reports/{report}/")
        assert response.status_code in (200, 302, 403), report
        assert "secret de Lévignac" not in response.content.decode(), report
    content = client.get(SITE_HISTORY).content.decode()
    assert "secret de Lévignac" not in content


def test_page_types_usage_is_for_superusers_only(
    verified_client, director, admin_user, levignac_page
):
    assert verified_client(director).get("/admin/reports/page-types-usage/").status_code == 403
    reports_menu = verified_client(director).get("/admin/").content.decode()
    assert "page-types-usage" not in reports_menu
    assert verified_client(admin_user).get("/admin/reports/page-types-usage/").status_code == 200


def test_entries_whose_object_key_is_not_a_number_stay_hidden(
    director, director_client, brax_history, family
):
    """Entries are matched to their object by its key read as a number: an entry whose
    object_id is not one (or not as Wagtail writes it) matches nothing and breaks nothing."""
    from django.contrib.contenttypes.models import ContentType

    from wagtail.models import ModelLogEntry

    from parents.log_scopes import scope_log_entries
    from parents.models import Family

    family_type = ContentType.objects.get_for_model(Family)
    odd = [
        ModelLogEntry.objects.create(
            content_type=family_type,
            object_id=object_id,
            label=f"ODD {object_id}",
            action="wagtail.edit",
            timestamp=timezone.now(),
        )
        for object_id in ("abc", f"0{family.pk}", f" {family.pk}", "99999999999999999999")
    ]
    log(instance=family, action="wagtail.edit")
    seen = scope_log_entries(ModelLogEntry.objects.all(), director)
    assert not seen.filter(pk__in=[entry.pk for entry in odd]).exists()
    assert seen.filter(content_type=family_type, object_id=str(family.pk)).exists()
    content = director_client.get(SITE_HISTORY).content.decode()
    assert "ODD" not in content
