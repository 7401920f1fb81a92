"""Demo pages: the association's home page, one page per structure, the user manual rebuilt
as a help page, and the accessibility statement. Idempotent: a page is only revised and
republished when its content differs from what is below.
"""

from urllib.parse import urlsplit

from django.conf import settings

from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page, Site

from parents.models import Association, Structure

from .models import AccessibilityCompliance, HelpPage, HomePage, StructureHomePage

STRUCTURE_INTRODUCTIONS = {
    "brax": "<p>L'accueil de loisirs de Brax accueille les enfants de 3 à 12 ans les mercredis "
    "et pendant les vacances scolaires.</p>",
    "levignac": "<p>L'accueil de loisirs de Lévignac accueille les enfants de 3 à 12 ans les "
    "mercredis et pendant les vacances scolaires.</p>",
}


def load():
    home = _home_page()
    structure_pages = {}
    for structure in Structure.objects.filter(slug__in=STRUCTURE_INTRODUCTIONS):
        page = StructureHomePage.objects.filter(structure=structure).first()
        if page is None:
            page = home.add_child(
                instance=StructureHomePage(
                    title=structure.name, slug=structure.slug, structure=structure
                )
            )
        _publish(page, introduction=STRUCTURE_INTRODUCTIONS[structure.slug])
        structure_pages[structure.slug] = page
    return {"home": home, "structure_pages": structure_pages}


def load_help(home, rules_document=None):
    """The manual and the accessibility statement, under the association's home page."""
    manual = _help_page(
        home,
        "Manuel d'utilisation de l'extranet",
        "manuel",
        "<p>Loisirs Education et Citoyenneté Grand Sud a mis en place un extranet à votre "
        "service.</p>",
        manual_body(rules_document),
    )
    statement = _help_page(
        home,
        "Déclaration d'accessibilité",
        "accessibilite",
        "<p>Loisirs Education et Citoyenneté Grand Sud s'engage à rendre le Portail Familles "
        "accessible, conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005.</p>",
        accessibility_body(),
    )
    _publish(
        home,
        accessibility_compliance=AccessibilityCompliance.PARTIAL,
        accessibility_page_id=statement.pk,
    )
    return {"manual": manual, "accessibility": statement}


def _home_page():
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None and isinstance(site.root_page.specific, HomePage):
        home = site.root_page.specific
    else:
        # The migrations create it; a database flushed by tests may have lost it.
        Locale.objects.get_or_create(
            language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
        )
        root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
        home = root.add_child(instance=HomePage(title="Portail Familles", slug="home"))
        Site.objects.filter(is_default_site=True).delete()
        Site.objects.create(
            hostname="localhost", root_page=home, is_default_site=True, site_name="Portail Familles"
        )
    _point_site_at_site_url()
    association = Association.objects.first()
    if association is not None:
        _publish(
            home,
            introduction=f"<p>Le portail des familles des accueils de loisirs de "
            f"{association.name}.</p>",
        )
    return home


def _point_site_at_site_url():
    """The default Wagtail Site answers at SITE_URL, so that the pages' absolute URLs (the
    content API's `html_url`, links in e-mails) name the server actually running, not
    "localhost" on port 80.
    """
    address = urlsplit(settings.SITE_URL)
    hostname = address.hostname or "localhost"
    port = address.port or (443 if address.scheme == "https" else 80)
    site = Site.objects.get(is_default_site=True)
    if (site.hostname, site.port) != (hostname, port):
        site.hostname, site.port = hostname, port
        site.save(update_fields=["hostname", "port"])


def _help_page(parent, title, slug, introduction, body):
    page = HelpPage.objects.child_of(parent).filter(slug=slug).first()
    if page is None:
        page = parent.add_child(instance=HelpPage(title=title, slug=slug))
    _publish(page, title=title, introduction=introduction, body=body)
    return page


def _publish(page, **fields):
    """Set `fields` and publish a revision, unless the page already holds them all."""
    changed = not page.live or page.live_revision_id is None
    for name, value in fields.items():
        current = getattr(page, name)
        if name == "body":
            current = [(block["type"], block["value"]) for block in current.raw_data]
            wanted = [(block["type"], block["value"]) for block in value]
        else:
            wanted = value
        if current != wanted:
            setattr(page, name, value)
            changed = True
    if changed:
        page.save_revision().publish()
    return page


def _text(html):
    return {"type": "paragraph", "value": html}


def _heading(text, level="h2"):
    return {"type": "heading", "value": {"text": text, "level": level}}


def _question(question, answer):
    return {"type": "question", "value": {"question": question, "answer": answer}}


def manual_body(rules_document=None):
    """The "Manuel d'utilisation de l'Extranet" (Commune de Brax), as blocks."""
    body = [
        _text(
            "<p>Cet outil vous permettra :</p><ul>"
            "<li>de consulter votre compte ;</li>"
            "<li>de télécharger vos factures ;</li>"
            "<li>d'effectuer vos règlements en ligne par carte bancaire à partir de 15,00 € "
            "de solde dû ;</li>"
            "<li>d'obtenir une attestation annuelle pour les paiements que vous avez effectués "
            "durant l'année civile écoulée.</li></ul>"
        ),
        _text(
            "<p>Vous devrez fournir votre adresse mail aux directeurs de l'accueil de loisirs "
            "dont vous dépendez. Dès que celle-ci sera enregistrée, vous recevrez un mail vous "
            "informant de votre identifiant et vous invitant à choisir votre mot de passe. Ce "
            "service vous sera alors accessible par internet, depuis la page d'accueil de ce "
            "portail (« Espace famille »).</p>"
            "<p>Le menu sur le côté gauche vous permettra de naviguer sur les différents "
            "services.</p>"
        ),
        _heading("Imprimés"),
        _text(
            "<p>Vous pourrez télécharger les imprimés qui auront été mis en ligne (ex : "
            "programme des vacances, règlement intérieur…) : la page « Télécharger un "
            "imprimé » les présente avec leur libellé, le nom du fichier et un lien "
            "« Ouvrir ».</p>"
            "<p>En cas d'impossibilité d'ouvrir le fichier, vous devez installer un lecteur PDF "
            "sur votre ordinateur.</p>"
        ),
    ]
    if rules_document is not None:
        body.append({"type": "document", "value": {"document": rules_document.pk, "label": ""}})
    body += [
        _heading("Gestion du compte parent"),
        _text(
            "<p>Vous pouvez aller voir votre compte, télécharger vos factures et payer le "
            "solde dû. La dernière facture émise se trouve en haut de page.</p>"
            "<p>Sur la page « Gestion de votre compte », vous pouvez :</p><ul>"
            "<li>payer le solde par carte bancaire (lorsqu'il atteint 15,00 €) en cliquant "
            "sur le bouton « Paiement en ligne ». Ce paiement mettra à jour votre compte. Si "
            "vous souhaitez régler en plusieurs fois, mettez-vous en relation avec le "
            "directeur de l'accueil de loisirs car vous ne pouvez pas choisir le montant de "
            "votre paiement en ligne ;</li>"
            "<li>consulter les factures en cliquant sur le bouton PDF en face de chaque ligne "
            "de facturation. La colonne débit correspond aux montants des factures et la "
            "colonne crédit aux avoirs et aux règlements que vous avez effectués ;</li>"
            "<li>éditer le justificatif de paiement annuel pour les frais de garde dans "
            "l'onglet « Attestations », qui sera disponible courant avril de l'année "
            "suivante.</li></ul>"
        ),
        _heading("Espace utilisateur"),
        _text(
            "<p>Vous pouvez à tout moment changer votre mot de passe dans l'espace "
            "utilisateur.</p>"
            "<p>Si vous souhaitez changer votre adresse mail, vous devrez le signaler au "
            "directeur de l'accueil.</p>"
        ),
        _heading("Questions fréquentes"),
        _question(
            "Je n'arrive pas à ouvrir un imprimé. Que faire ?",
            "<p>Installez un lecteur PDF sur votre ordinateur, puis cliquez de nouveau sur "
            "« Ouvrir ».</p>",
        ),
        _question(
            "À partir de quel montant puis-je payer en ligne ?",
            "<p>Le paiement en ligne par carte bancaire est possible à partir de 15,00 € de "
            "solde dû.</p>",
        ),
        _question(
            "Puis-je payer en plusieurs fois ?",
            "<p>Le paiement en ligne règle tout le solde. Pour payer en plusieurs fois, "
            "mettez-vous en relation avec le directeur de l'accueil de loisirs.</p>",
        ),
        _question(
            "Quand l'attestation annuelle est-elle disponible ?",
            "<p>Courant avril de l'année suivante, dans l'onglet « Attestations ».</p>",
        ),
        _question(
            "Comment changer mon adresse mail ?",
            "<p>Signalez-le au directeur de l'accueil de loisirs, qui l'enregistrera.</p>",
        ),
        _text(
            "<p>Si vous souhaitez des informations complémentaires sur l'utilisation de cet "
            "extranet, nous vous conseillons de vous mettre en relation avec le directeur de "
            "l'accueil de loisirs que votre enfant fréquente.</p>"
        ),
    ]
    return body


def accessibility_body():
    return [
        _heading("État de conformité"),
        _text(
            "<p>Le Portail Familles est <strong>partiellement conforme</strong> avec le "
            "référentiel général d'amélioration de l'accessibilité (RGAA), version 4.1.2, en "
            "raison des non-conformités énumérées ci-dessous.</p>"
        ),
        _heading("Contenus non accessibles"),
        _text(
            "<ul><li>Certains documents publiés dans « Imprimés » sont des documents numérisés "
            "(par exemple « Scan Motorola ») sans alternative textuelle.</li>"
            "<li>Les documents bureautiques anciens ne sont pas tous balisés.</li></ul>"
        ),
        _heading("Retour d'information et contact"),
        _text(
            "<p>Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez le "
            "directeur de votre accueil de loisirs pour être orienté vers une alternative "
            "accessible ou obtenir le contenu sous une autre forme.</p>"
        ),
        _heading("Voies de recours"),
        _text(
            "<p>Si vous constatez un défaut d'accessibilité vous empêchant d'accéder à un "
            "contenu ou à une fonctionnalité du site, que vous nous le signalez et que vous ne "
            "parvenez pas à obtenir une réponse de notre part, vous pouvez écrire au Défenseur "
            "des droits ou contacter son délégué dans votre région.</p>"
        ),
    ]
