"""A parent signs a direct-debit mandate in a real browser, at phone and desktop widths: the
form, its error and the signed mandate each pass axe-core at 360 px and 1280 px."""

from django.urls import reverse

import pytest
from playwright.sync_api import expect

from parents import demo

from .conftest import assert_accessible_at_both_widths, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_parent_demo_signs_a_mandate(page, live_server, demo_data, browser_problems):
    from billing.direct_debit.models import Mandate
    from parents.models import Structure
    from tests.factories.direct_debit import direct_debit_settings

    direct_debit_settings(Structure.objects.get(slug="brax"))
    page.set_viewport_size({"width": 360, "height": 800})
    login(page, live_server, "parent.demo", demo.PARENT_PASSWORD)
    page.goto(live_server.url + reverse("billing:account"))
    page.get_by_role("link", name="Prélèvement automatique").click()
    expect(page.get_by_role("heading", name="Payer par prélèvement automatique")).to_be_visible()
    assert_accessible_at_both_widths(page)
    page.set_viewport_size({"width": 360, "height": 800})

    page.get_by_label("Titulaire du compte").fill("Marie DUPONT")
    page.get_by_label("IBAN", exact=False).first.fill("FR76 3000 6000 0112 3456 7890 188")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Signer le mandat").click()
    expect(page.get_by_text("clé de contrôle est fausse")).to_be_visible()
    assert not Mandate.objects.exists()
    assert_accessible_at_both_widths(page)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("IBAN", exact=False).first.fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Signer le mandat").click()
    expect(page.get_by_text("Votre mandat est signé")).to_be_visible()
    mandate = Mandate.objects.get()
    expect(page.get_by_text(mandate.reference)).to_be_visible()
    expect(page.get_by_text("•••• 0189")).to_be_visible()
    assert "3000 6000" not in page.content()
    assert_accessible_at_both_widths(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le mandat (PDF)").click()
    assert download.value.suggested_filename == f"mandat-{mandate.reference}.pdf"
    assert mandate.signed_by.username == "parent.demo"
    # Chromium reports a download as an aborted navigation: that one is not a problem.
    assert [problem for problem in browser_problems if "/pdf/" not in problem] == []
