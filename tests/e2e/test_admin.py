"""The admin as a director meets it, in a real browser: dates typed the French way, the
family chooser of the forms, and the lists that follow the family chosen (the invoice's
children, the payment's payers)."""

from datetime import date

import pytest
from playwright.sync_api import expect

from parents import demo

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def director_login(page, live_server):
    page.goto(live_server.url + "/admin/login/")
    page.locator('input[name="username"]').fill("directeur.demo")
    page.locator('input[name="password"]').fill(demo.DIRECTOR_PASSWORD)
    page.locator('button[type="submit"]').first.click()
    page.wait_for_load_state()
    page.locator('input[name="code"]').fill(demo.DIRECTOR_BACKUP_CODES[0])
    page.get_by_role("button", name="Vérifier").click()
    page.wait_for_load_state()


def choose_family(page, search, name):
    """Choose a family in the family chooser of the form."""
    page.get_by_role("button", name="Choisir une famille").click()
    modal = page.locator(".modal-content")
    modal.get_by_label("Terme de recherche").fill(search)
    modal.get_by_role("link", name=name).click()
    expect(page.locator("#id_family-title")).to_have_text(name)


def test_a_date_typed_the_french_way_is_kept(page, live_server, demo_data, browser_problems):
    from billing.models import Invoice
    from parents.models import Child, Family

    dupont = Family.objects.get(reference="DUP001")
    martin = Family.objects.create(structure=dupont.structure, name="MARTIN", reference="MAR9")
    Child.objects.create(
        family=martin, first_name="Jules", last_name="MARTIN", birth_date=date(2018, 6, 1)
    )
    director_login(page, live_server)
    page.goto(live_server.url + "/admin/facturation/factures/new/")

    child_list = page.locator('select[name="lines-0-child"]')
    # No child is offered before the family is chosen, then only DUPONT's.
    expect(child_list.locator("option")).to_have_count(1)
    choose_family(page, "DUPONT", str(dupont))
    expect(child_list.locator("option", has_text="Léa DUPONT (DUP001)")).to_have_count(1)
    expect(child_list.locator("option", has_text="(DUP001)")).to_have_count(dupont.children.count())
    expect(child_list.locator("option", has_text="MARTIN")).to_have_count(0)
    # A line added on the page offers the same children.
    page.locator("#id_lines-ADD").click()
    added = page.locator('select[name="lines-1-child"]')
    added.focus()
    expect(added.locator("option", has_text="Léa DUPONT (DUP001)")).to_have_count(1)
    expect(added.locator("option", has_text="MARTIN")).to_have_count(0)
    page.locator("#id_lines-1-DELETE-button").click()
    child_list.select_option(label="Léa DUPONT (DUP001)")
    page.locator('input[name="lines-0-label"]').fill("Mercredi journée")
    service_date = page.locator('input[name="lines-0-service_date"]')
    service_date.fill("01/11/2026")
    service_date.press("Tab")
    expect(service_date).to_have_value("01/11/2026")
    page.locator('input[name="lines-0-quantity"]').fill("1")
    page.locator('input[name="lines-0-unit_price"]').fill("6.50")
    page.locator('input[name="lines-0-quantity"]').press("Enter")
    page.wait_for_load_state()

    line = Invoice.objects.get(family=dupont, status="draft").lines.get()
    assert line.service_date == date(2026, 11, 1)
    assert browser_problems == []


def test_an_unreadable_date_stays_and_is_refused(page, live_server, demo_data):
    from billing.models import Invoice

    director_login(page, live_server)
    page.goto(live_server.url + "/admin/facturation/factures/new/")
    choose_family(page, "DUPONT", "DUPONT (DUP001)")
    page.locator('input[name="lines-0-label"]').fill("Mercredi journée")
    service_date = page.locator('input[name="lines-0-service_date"]')
    service_date.fill("31/02/2026")
    service_date.press("Tab")
    # Not replaced by today's date: what was typed stays, and the server refuses it.
    expect(service_date).to_have_value("31/02/2026")
    page.locator('input[name="lines-0-quantity"]').fill("1")
    page.locator('input[name="lines-0-unit_price"]').fill("6.50")
    page.locator('input[name="lines-0-quantity"]').press("Enter")
    expect(page.get_by_text("Saisissez une date valide.")).to_be_visible()
    assert not Invoice.objects.exists()


def test_a_guardian_is_added_to_a_family_found_in_the_chooser(
    page, live_server, demo_data, browser_problems
):
    """The add forms choose the family in the family chooser (a search in a modal), not in a
    list of every family."""
    from parents.models import Family, Guardian

    dupont = Family.objects.get(reference="DUP001")
    Family.objects.create(structure=dupont.structure, name="MARTIN", reference="MAR9")
    director_login(page, live_server)
    page.goto(live_server.url + "/admin/guardians/new/")
    choose_family(page, "MARTIN", "MARTIN (MAR9)")
    page.locator('select[name="civility"]').select_option(index=1)
    page.locator('input[name="first_name"]').fill("Hugo")
    page.locator('input[name="last_name"]').fill("MARTIN")
    page.get_by_role("button", name="Créer").click()
    expect(page.get_by_text("MARTIN", exact=False).first).to_be_visible()
    page.wait_for_url("**/admin/guardians/")

    assert Guardian.objects.get(first_name="Hugo").family.name == "MARTIN"
    assert browser_problems == []


def test_a_payment_is_recorded_for_a_family_found_in_the_chooser(
    page, live_server, demo_data, browser_problems
):
    """ "Record a payment" chooses the family in the chooser; the payer list then offers that
    family's guardians only, and what was typed before stays."""
    from billing.models import Payment
    from parents.models import Family, Guardian

    dupont = Family.objects.get(reference="DUP001")
    martin = Family.objects.create(structure=dupont.structure, name="MARTIN", reference="MAR9")
    paul = Guardian.objects.create(
        family=martin, civility="M.", first_name="Paul", last_name="MARTIN", email=""
    )
    director_login(page, live_server)
    page.goto(live_server.url + "/admin/facturation/reglements/new/")
    page.locator('input[name="amount"]').fill("12.50")
    payer = page.locator('select[name="payer"]')
    expect(payer.locator("option")).to_have_count(1)  # no family chosen yet
    choose_family(page, "MARTIN", "MARTIN (MAR9)")
    expect(payer.locator("option")).to_have_count(2)
    expect(payer.locator("option").nth(1)).to_have_text("Paul MARTIN (MAR9)")
    expect(page.locator('input[name="amount"]')).to_have_value("12.50")
    payer.select_option(label="Paul MARTIN (MAR9)")
    page.locator('select[name="method"]').select_option(value="especes")
    page.get_by_role("button", name="Enregistrer le règlement").click()
    page.wait_for_url("**/reglements/inspect/**")

    payment = Payment.objects.get(family=martin)
    assert payment.payer == paul and str(payment.amount) == "12.50"
    assert browser_problems == []
