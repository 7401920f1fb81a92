import html
from datetime import date
from decimal import Decimal
from io import StringIO

from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import include, path, reverse

from wagtail.admin.auth import require_admin_access
from wagtail.utils.urlpatterns import decorate_urlpatterns

import pytest

import config.urls
from billing.imports.importers import parse, run
from billing.imports.views import get_import_urls
from billing.ledger.services import family_balance
from billing.models import DocumentSequence, Invoice, InvoiceLine, LedgerEntry, Payment
from parents.roles import COMMUNICATION_GROUP, setup_roles
from tests.factories.billing import issued_invoice, line
from tests.factories.parents import ChildFactory, FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db

# The import view as the billing admin hooks register it: behind the admin access check.
urlpatterns = [
    path("admin/", include(decorate_urlpatterns(get_import_urls(), require_admin_access))),
    *config.urls.urlpatterns,
]

HEADER = (
    "type;structure;famille;numero;date;enfant;libelle;categorie;date_service;"
    "date_fin_service;quantite;prix_unitaire;montant_reglement;mode;numero_cheque;"
    "reference_externe"
)
# The manual's 2012 history of the DUPONT family: balance 36,07 €.
ROWS = [
    "facture;brax;DUP001;2L2012/0038EN;09/03/2012;Hugo;Mercredi journée;garde;29/02/2012;"
    "07/03/2012;2;3,86;;;;F-0038",
    "reglement;brax;DUP001;;22/03/2012;;;;;;;;7,72;cheque;9038108;R-9038108",
    "facture;brax;DUP001;2L2012/0156EN;03/04/2012;Léa;Mercredi matin;garde;14/03/2012;;1;3,59;;;;"
    "F-0156",
    "facture;brax;DUP001;2L2012/0156EN;03/04/2012;Hugo;Journée vacances;garde;19/03/2012;"
    "23/03/2012;5;3,62;;;;F-0156",
    "facture;brax;DUP001;2L2012/0268EN;23/04/2012;Hugo;Journée vacances de Pâques;garde;"
    "10/04/2012;11/04/2012;2;5,19;;;;F-0268",
    "facture;brax;DUP001;2L2012/0268EN;23/04/2012;Hugo;Repas;repas;10/04/2012;11/04/2012;2;2,00;"
    ";;;F-0268",
]


def csv_bytes(rows=ROWS, header=HEADER, encoding="utf-8"):
    return "\r\n".join([header, *rows, ""]).encode(encoding)


def without_columns(*names):
    """The file as exported without these columns at all."""
    columns = HEADER.split(";")
    keep = [i for i, name in enumerate(columns) if name not in names]
    header, *rows = [";".join(line.split(";")[i] for i in keep) for line in [HEADER, *ROWS]]
    return csv_bytes(rows, header)


def replace(row_index, old, new):
    rows = list(ROWS)
    assert old in rows[row_index]
    rows[row_index] = rows[row_index].replace(old, new, 1)
    return rows


@pytest.fixture
def dupont(brax, family):
    ChildFactory(family=family, first_name="Hugo", birth_date=date(2015, 4, 2))
    return family


@pytest.fixture
def importer(director):
    """The Brax director: the Direction role may add invoices and payments, so import."""
    assert director.has_perms(["billing.add_invoice", "billing.add_payment"])
    return director


def nothing_imported():
    return (
        Invoice.objects.count() == 0
        and Payment.objects.count() == 0
        and LedgerEntry.objects.count() == 0
    )


# --- A valid file ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_valid_file_imports_invoices_with_their_numbers_lines_and_payments(
    dupont, importer, private_files, encoding
):
    plan = parse(csv_bytes(encoding=encoding), user=importer)
    assert plan.errors == []
    assert [i.number for i in plan.new_invoices] == [
        "2L2012/0038EN",
        "2L2012/0156EN",
        "2L2012/0268EN",
    ]
    assert plan.new_line_count == 5

    result = run(plan, by=importer)

    assert result.errors == []
    invoices = Invoice.objects.order_by("issue_date")
    assert [(i.number, i.issue_date, i.total, i.status) for i in invoices] == [
        ("2L2012/0038EN", date(2012, 3, 9), Decimal("7.72"), "issued"),
        ("2L2012/0156EN", date(2012, 4, 3), Decimal("21.69"), "issued"),
        ("2L2012/0268EN", date(2012, 4, 23), Decimal("14.38"), "issued"),
    ]
    assert [i.external_reference for i in invoices] == ["F-0038", "F-0156", "F-0268"]
    lea = dupont.children.get(first_name="Léa")
    first_line = InvoiceLine.objects.get(invoice__number="2L2012/0156EN", child=lea)
    assert (first_line.label, first_line.quantity, first_line.unit_price) == (
        "Mercredi matin",
        Decimal("1.00"),
        Decimal("3.59"),
    )
    assert InvoiceLine.objects.filter(category="repas").get().amount == Decimal("4.00")
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.cheque_number, payment.date) == (
        Decimal("7.72"),
        "cheque",
        "9038108",
        date(2012, 3, 22),
    )
    assert family_balance(dupont) == Decimal("36.07")
    # The cheque settled the first invoice, issued before it: its PDF showed it unpaid.
    first = invoices[0]
    assert first.paid_at_issue == Decimal("0.00")
    assert sum(a.amount for a in payment.allocations.all()) == Decimal("7.72")
    for invoice in invoices:
        with private_files.open(invoice.pdf.name, "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
    # Our own numbering carries on after the imported numbers.
    assert DocumentSequence.objects.get(structure=dupont.structure).last_value == 268
    assert mail.outbox == []


def test_headers_are_read_without_accents_case_or_order(dupont, importer):
    header = (
        "Référence externe;Type;Structure;Famille;Numéro;Date;Enfant;Libellé;Catégorie;"
        "Date service;Quantité;Prix unitaire"
    )
    rows = ["F-1;facture;brax;DUP001;2L2012/0001EN;05/01/2012;léa;Goûter;Repas;04/01/2012;3;0,80"]
    result = run(parse(csv_bytes(rows, header), user=importer), by=importer)

    assert result.errors == []
    created = InvoiceLine.objects.get()
    assert (created.child.first_name, created.category, created.amount) == (
        "Léa",
        "repas",
        Decimal("2.40"),
    )


def test_dry_run_changes_nothing(dupont, importer, private_files):
    plan = parse(csv_bytes(), user=importer)

    result = run(plan, by=importer, dry_run=True)

    assert result.errors == []
    assert [i.number for i in result.invoices] == [i.number for i in plan.new_invoices]
    assert len(result.payments) == 1
    assert nothing_imported()
    assert DocumentSequence.objects.count() == 0
    assert not private_files.exists("invoices")


def test_importing_the_same_file_again_creates_nothing(dupont, importer):
    run(parse(csv_bytes(), user=importer), by=importer)
    counts = (Invoice.objects.count(), InvoiceLine.objects.count(), Payment.objects.count())

    plan = parse(csv_bytes(), user=importer)
    result = run(plan, by=importer)

    assert plan.errors == []
    assert plan.new_invoices == [] and plan.new_payments == []
    assert [op.line_number for op in result.skipped] == [2, 3, 4, 6]
    assert result.invoices == [] and result.payments == []
    assert (Invoice.objects.count(), InvoiceLine.objects.count(), Payment.objects.count()) == counts
    assert family_balance(dupont) == Decimal("36.07")


def test_a_file_that_grew_imports_only_its_new_rows(dupont, importer):
    run(parse(csv_bytes(ROWS[:2]), user=importer), by=importer)
    later = "reglement;brax;DUP001;;30/04/2012;;;;;;;;36,07;especes;;R-CASH-1"

    result = run(parse(csv_bytes([*ROWS, later]), user=importer), by=importer)

    assert result.errors == []
    assert sorted(i.number for i in result.invoices) == ["2L2012/0156EN", "2L2012/0268EN"]
    assert [p.external_reference for p in result.payments] == ["R-CASH-1"]
    assert Invoice.objects.count() == 3 and Payment.objects.count() == 2
    assert family_balance(dupont) == Decimal("0.00")


def test_guardians_are_emailed_only_when_asked(
    dupont, importer, guardian, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run(parse(csv_bytes(ROWS[:1]), user=importer), by=importer, notify=True)

    assert [message.to for message in mail.outbox] == [[guardian.email]]
    assert "2L2012/0038EN" in mail.outbox[0].body


# --- Files refused as a whole ---------------------------------------------------------------

UTF8_HINT = (
    "Le fichier n'est pas encodé en UTF-8. Enregistrez-le à nouveau au format « CSV UTF-8 » "
    "(LibreOffice : jeu de caractères « Unicode (UTF-8) » ; Excel : « CSV UTF-8 »)."
)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(csv_bytes(encoding="latin-1"), [(2, UTF8_HINT)], id="latin-1"),
        pytest.param(
            without_columns("quantite", "prix_unitaire"),
            [(1, "Colonnes manquantes : quantite, prix_unitaire.")],
            id="missing-columns",
        ),
        pytest.param(
            csv_bytes(header=HEADER.replace(";", ",")),
            [(1, "Les colonnes doivent être séparées par des points-virgules (;).")],
            id="comma-separated",
        ),
        pytest.param(
            csv_bytes(header=HEADER + ";remarque"),
            [(1, "Colonnes inconnues : remarque.")],
            id="unknown-column",
        ),
        pytest.param(
            csv_bytes(replace(1, "7,72", "-7,72")),
            [(3, "Colonne « montant_reglement » : la valeur ne peut pas être négative.")],
            id="negative-amount",
        ),
        pytest.param(
            csv_bytes(replace(2, ";1;3,59;", ";0;3,59;")),
            [(4, "Colonne « quantite » : la valeur doit être supérieure à zéro.")],
            id="zero-quantity",
        ),
        pytest.param(
            csv_bytes(replace(0, ";2;3,86;", ";2;3.8.6;")),
            [(2, "Colonne « prix_unitaire » : « 3.8.6 » n'est pas un nombre (par exemple 3,59).")],
            id="malformed-number",
        ),
        pytest.param(
            csv_bytes(replace(0, ";2;3,86;", ";2;3,865;")),
            [(2, "Colonne « prix_unitaire » : deux décimales au plus.")],
            id="too-many-decimals",
        ),
        pytest.param(
            csv_bytes(replace(0, "09/03/2012", "31/02/2012")),
            [(2, "Colonne « date » : « 31/02/2012 » n'est pas une date au format JJ/MM/AAAA.")],
            id="impossible-date",
        ),
        pytest.param(
            csv_bytes(replace(5, ";repas;", ";cantine;")),
            [
                (
                    7,
                    "Catégorie « cantine » inconnue (valeurs possibles : garde, repas, sortie, "
                    "penalite, adhesion, autre).",
                )
            ],
            id="unknown-category",
        ),
        pytest.param(
            csv_bytes(replace(1, ";cheque;", ";bitcoin;")),
            [
                (
                    3,
                    "Mode de règlement « bitcoin » inconnu (valeurs possibles : cheque, especes, "
                    "carte, virement, cesu, ancv, prelevement).",
                )
            ],
            id="unknown-method",
        ),
        pytest.param(
            csv_bytes(replace(1, ";9038108;", ";;")),
            [
                (
                    3,
                    "Un règlement par chèque a besoin du numéro du chèque "
                    "(colonne « numero_cheque »).",
                )
            ],
            id="cheque-without-number",
        ),
        pytest.param(
            csv_bytes(replace(0, ";F-0038", ";")),
            [(2, "La colonne « reference_externe » est obligatoire.")],
            id="missing-external-reference",
        ),
        pytest.param(
            csv_bytes(replace(2, ";DUP001;", ";DUP999;") + ["type-inconnu;brax;DUP001"]),
            [
                (4, "Famille « DUP999 » inconnue dans Commune de Brax."),
                (8, "Colonne « type » : « type-inconnu » n'est ni « facture » ni « reglement »."),
            ],
            id="unknown-family-and-type",
        ),
        pytest.param(
            csv_bytes(replace(3, ";F-0156", ";F-0157")),
            [
                (
                    5,
                    "Le numéro de facture 2L2012/0156EN est aussi utilisé à la ligne 4 avec une "
                    "autre référence externe (« F-0156 ») : un numéro n'appartient qu'à une "
                    "facture.",
                )
            ],
            id="duplicate-number",
        ),
        pytest.param(
            csv_bytes(replace(4, "2L2012/0268EN", "2L2012/0267EN")),
            [
                (
                    7,
                    "La référence externe « F-0268 » est déjà utilisée à la ligne 6 par la "
                    "facture 2L2012/0267EN.",
                )
            ],
            id="one-reference-two-numbers",
        ),
        pytest.param(
            csv_bytes(replace(3, "03/04/2012", "04/04/2012")),
            [
                (
                    5,
                    "Facture 2L2012/0156EN : la colonne « date » diffère de la ligne 4 "
                    "(« 03/04/2012 ») ; toutes les lignes d'une facture doivent la partager.",
                )
            ],
            id="invoice-rows-disagree",
        ),
        pytest.param(
            csv_bytes(replace(0, ";Hugo;", ";Nina;")),
            [(2, "« Nina » n'est pas un enfant de la famille DUPONT (DUP001).")],
            id="child-of-another-family",
        ),
        pytest.param(
            csv_bytes([*ROWS, "reglement;levignac;BER001;;12/10/2026;;;;;;;;20,00;especes;;R-1"]),
            [
                (
                    8,
                    "Vous ne gérez pas la structure « levignac » : ses lignes ne peuvent pas "
                    "être importées.",
                )
            ],
            id="structure-of-another-director",
        ),
        pytest.param(
            csv_bytes([*ROWS, "reglement;nowhere;X;;12/10/2026;;;;;;;;20,00;especes;;R-1"]),
            [(8, "Structure « nowhere » inconnue.")],
            id="unknown-structure",
        ),
        pytest.param(
            csv_bytes([*ROWS, "reglement;brax;DUP001;;12/10/2012;;;;;;;;20,00;especes;;R-9038108"]),
            [
                (
                    8,
                    "La référence externe « R-9038108 » est déjà utilisée par le règlement de "
                    "la ligne 3.",
                )
            ],
            id="duplicate-payment-reference",
        ),
    ],
)
def test_malformed_file_imports_nothing_and_lists_errors_by_line(
    dupont, importer, other_guardian, content, expected
):
    ChildFactory(family=other_guardian.family, first_name="Nina")

    plan = parse(content, user=importer)
    result = run(plan, by=importer)

    assert plan.sorted_errors() == expected
    assert result.errors == expected
    assert nothing_imported()


def test_every_bad_row_is_reported_not_only_the_first(dupont, importer):
    rows = replace(0, ";2;3,86;", ";-2;abc;")
    rows[1] = rows[1].replace("22/03/2012", "22-03-2012")

    plan = parse(csv_bytes(rows), user=importer)

    assert plan.sorted_errors() == [
        (2, "Colonne « quantite » : la valeur ne peut pas être négative."),
        (2, "Colonne « prix_unitaire » : « abc » n'est pas un nombre (par exemple 3,59)."),
        (3, "Colonne « date » : « 22-03-2012 » n'est pas une date au format JJ/MM/AAAA."),
    ]


def test_number_taken_by_another_invoice_of_the_structure_is_refused(dupont, importer):
    issued_invoice(dupont, line("5.00"), issue_date=date(2012, 3, 1), number="2L2012/0156EN")

    result = run(parse(csv_bytes(), user=importer), by=importer)

    assert result.errors == [
        (
            4,
            "Le numéro de facture 2L2012/0156EN existe déjà dans Commune de Brax pour une "
            "autre facture.",
        )
    ]
    assert Invoice.objects.count() == 1 and Payment.objects.count() == 0


def test_reference_imported_with_another_number_is_refused(dupont, importer):
    run(parse(csv_bytes(ROWS[:1]), user=importer), by=importer)

    result = run(
        parse(csv_bytes(replace(0, "2L2012/0038EN", "2L2012/0039EN")), user=importer),
        by=importer,
    )

    assert result.errors == [
        (
            2,
            "La référence externe « F-0038 » a déjà été importée comme facture 2L2012/0038EN "
            "de DUPONT (DUP001).",
        )
    ]
    assert Invoice.objects.count() == 1 and Payment.objects.count() == 0


def test_a_failure_while_importing_rolls_back_everything_and_its_pdfs(
    dupont, importer, private_files
):
    plan = parse(csv_bytes(), user=importer)
    # Between the preview and the confirmation, the last invoice's number gets used.
    issued_invoice(dupont, line("5.00"), issue_date=date(2012, 1, 2), number="2L2012/0268EN")

    result = run(plan, by=importer)

    assert result.errors == [
        (
            6,
            "Importation arrêtée : Le numéro 2L2012/0268EN est déjà utilisé. Rien n'a été importé.",
        )
    ]
    assert list(Invoice.objects.values_list("number", flat=True)) == ["2L2012/0268EN"]
    assert Payment.objects.count() == 0
    assert family_balance(dupont) == Decimal("5.00")
    # The PDFs of the invoices issued before the failure went with them.
    assert private_files.listdir("invoices") == ([], [])


# --- Command line ---------------------------------------------------------------------------


def write_csv(tmp_path, content):
    target = tmp_path / "export.csv"
    target.write_bytes(content)
    return target


def test_command_dry_run_prints_the_summary_and_saves_nothing(dupont, tmp_path):
    out = StringIO()

    call_command("import_billing_csv", write_csv(tmp_path, csv_bytes()), "--dry-run", stdout=out)

    output = out.getvalue()
    assert "Simulation : rien n'a été enregistré." in output
    assert "Factures à créer : 3 (5 lignes, 43,79 €)" in output
    assert "Règlements à enregistrer : 1 (7,72 €)" in output
    assert "Déjà importés (ignorés) : 0" in output
    assert nothing_imported()


def test_command_imports_then_skips_on_the_second_run(dupont, tmp_path):
    path_ = write_csv(tmp_path, csv_bytes())
    first, second = StringIO(), StringIO()

    call_command("import_billing_csv", path_, stdout=first)
    call_command("import_billing_csv", path_, stdout=second)

    assert "Factures créées : 3 (5 lignes, 43,79 €)" in first.getvalue()
    assert "Importation terminée." in first.getvalue()
    assert "Factures créées : 0 (0 lignes, 0,00 €)" in second.getvalue()
    assert "Déjà importés (ignorés) : 4" in second.getvalue()
    assert "ligne 2 : facture 2L2012/0038EN déjà importée" in second.getvalue()
    assert "ligne 3 : règlement « R-9038108 » déjà importé" in second.getvalue()
    assert Invoice.objects.count() == 3
    assert family_balance(dupont) == Decimal("36.07")


def test_command_lists_errors_and_fails(dupont, tmp_path):
    content = csv_bytes(replace(1, "7,72", "-7,72") + replace(0, "DUP001", "DUP999")[:1])
    out = StringIO()

    with pytest.raises(CommandError, match="Rien n'a été importé"):
        call_command("import_billing_csv", write_csv(tmp_path, content), stdout=out)

    assert "Erreurs : 2" in out.getvalue()
    assert (
        "ligne 3 : Colonne « montant_reglement » : la valeur ne peut pas être négative."
        in out.getvalue()
    )
    assert "ligne 8 : Famille « DUP999 » inconnue dans Commune de Brax." in out.getvalue()
    assert nothing_imported()


def test_command_as_a_director_refuses_other_structures(dupont, importer, other_guardian, tmp_path):
    content = csv_bytes(["reglement;levignac;BER001;;12/10/2026;;;;;;;;20,00;especes;;R-1"])
    out = StringIO()

    with pytest.raises(CommandError):
        call_command(
            "import_billing_csv",
            write_csv(tmp_path, content),
            "--user",
            importer.username,
            stdout=out,
        )

    assert "Vous ne gérez pas la structure « levignac »" in out.getvalue()
    assert nothing_imported()


# --- Admin page -----------------------------------------------------------------------------


@pytest.fixture
def import_client(importer, verified_client):
    return verified_client(importer)


def text(response):
    return html.unescape(response.content.decode())


def upload(client, content, name="export.csv"):
    return client.post(
        reverse("billing_import"), {"file": SimpleUploadedFile(name, content, "text/csv")}
    )


@override_settings(ROOT_URLCONF=__name__)
def test_admin_upload_previews_then_confirm_imports(dupont, import_client):
    page = import_client.get(reverse("billing_import"))
    assert page.status_code == 200
    assert "Importer des factures et des règlements" in text(page)

    preview = upload(import_client, csv_bytes())

    shown = text(preview)
    assert "Aperçu : rien n'est encore enregistré" in shown
    assert "Factures à créer : 3 (5 lignes, 43,79 €)" in shown
    assert "2L2012/0156EN" in shown
    assert nothing_imported()

    digest = preview.context["plan"].digest
    done = import_client.post(reverse("billing_import"), {"digest": digest}, follow=True)

    assert (
        "Importation terminée. Factures créées : 3 (43,79 €) ; règlements enregistrés : 1 "
        "(7,72 €) ; déjà importés : 0." in text(done)
    )
    assert Invoice.objects.count() == 3
    assert family_balance(dupont) == Decimal("36.07")
    # The file left the session: confirming twice imports nothing more.
    again = import_client.post(reverse("billing_import"), {"digest": digest}, follow=True)
    assert "Le fichier à importer n'est plus disponible" in text(again)
    assert Invoice.objects.count() == 3


@override_settings(ROOT_URLCONF=__name__)
def test_admin_preview_lists_errors_and_offers_no_confirmation(
    dupont, import_client, other_guardian
):
    content = csv_bytes([*ROWS, "reglement;levignac;BER001;;12/10/2026;;;;;;;;20,00;especes;;R-1"])

    preview = upload(import_client, content)

    shown = text(preview)
    assert "1 erreur trouvée : rien n'a été importé." in shown
    assert "Vous ne gérez pas la structure « levignac »" in shown
    assert "Confirmer l'importation" not in shown
    forged = import_client.post(
        reverse("billing_import"), {"digest": preview.context["plan"].digest}, follow=True
    )
    assert "Le fichier à importer n'est plus disponible" in text(forged)
    assert nothing_imported()


@override_settings(ROOT_URLCONF=__name__)
def test_admin_refuses_a_file_over_2_mb(dupont, import_client):
    content = csv_bytes() + b" " * (2 * 1024 * 1024)

    response = upload(import_client, content)

    assert "Le fichier est trop volumineux (2 Mo au plus)." in text(response)
    assert "preview" not in response.context
    assert nothing_imported()


@override_settings(ROOT_URLCONF=__name__)
def test_admin_import_needs_billing_permissions(dupont, structure, verified_client):
    setup_roles()
    communication = UserFactory(username="communication.test")
    communication.groups.add(Group.objects.get(name=COMMUNICATION_GROUP))
    communication.structures.add(structure)
    client = verified_client(communication)

    page = client.get(reverse("billing_import"), follow=True)
    posted = upload(client, csv_bytes())

    assert page.redirect_chain == [("/admin/", 302)]
    assert "Désolé, vous n'avez pas les autorisations pour accéder à cette zone." in text(page)
    assert (posted.status_code, posted["Location"]) == (302, "/admin/")
    assert nothing_imported()


@override_settings(ROOT_URLCONF=__name__)
def test_admin_import_is_not_for_parents(dupont, guardian, client):
    client.force_login(guardian.user)

    response = client.get(reverse("billing_import"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_each_director_imports_for_their_own_structures_only(dupont, other_structure):
    FamilyFactory(structure=other_structure, reference="BER001")
    levignac_director = UserFactory(username="directeur.levignac")
    levignac_director.structures.add(other_structure)
    payment = "reglement;levignac;BER001;;12/10/2026;;;;;;;;20,00;especes;;R-1"

    plan = parse(csv_bytes([ROWS[1], payment]), user=levignac_director)

    assert plan.sorted_errors() == [
        (
            2,
            "Vous ne gérez pas la structure « brax » : ses lignes ne peuvent pas être importées.",
        )
    ]
    assert parse(csv_bytes([payment]), user=levignac_director).errors == []
