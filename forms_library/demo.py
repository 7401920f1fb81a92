"""Demo libraries: the manual's two documents in Brax's "Imprimés", a règlement intérieur for
the whole association, a registration form for Brax families only, and a Lévignac programme.

Idempotent: loading twice changes nothing. Files are tiny but valid PDFs and an ODT, written
here, so that the demo needs no fixture file.
"""

import io
import zipfile
from datetime import date

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from wagtail.documents import get_document_model
from wagtail.models import Collection

from .models import Category, CollectionPrivacy, FormsLibraryEntry, FormsLibraryPage, Visibility

ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"


def load(association_page, structure_pages):
    """`structure_pages` maps structure slugs to their home pages (home.demo builds them)."""
    brax_page, levignac_page = structure_pages["brax"], structure_pages["levignac"]
    brax, levignac = brax_page.structure, levignac_page.structure

    association = _collection("LE&C Grand Sud", None, Visibility.PUBLIC)
    brax_public = _collection("Commune de Brax", brax, Visibility.PUBLIC)
    brax_families = _collection(
        "Commune de Brax — familles", brax, Visibility.FAMILIES, parent=brax_public
    )
    levignac_public = _collection("Commune de Lévignac", levignac, Visibility.PUBLIC)
    # The director's signature for the certificates: staff of Brax only, never a public file.
    brax_staff = _collection(
        "Commune de Brax — direction", brax, Visibility.STAFF, parent=brax_public
    )
    _keep_signatures_private({brax: brax_staff})

    programme = _document(
        "Programme vacances Avril 2012",
        "Plaqueette ALSH Paques 2012.pdf",
        brax_public,
        minimal_pdf("Programme des vacances de Pâques 2012", ["Accueil de loisirs de Brax"]),
    )
    scan = _document(
        "Scan Motorola",
        "Scan Motorola.pdf",
        brax_public,
        minimal_pdf("Scan Motorola", ["Document numérisé"]),
    )
    rules = _document(
        "Règlement intérieur",
        "Reglement interieur LEC Grand Sud.pdf",
        association,
        minimal_pdf(
            "Règlement intérieur des accueils de loisirs",
            ["Loisirs Education & Citoyenneté Grand Sud"],
        ),
    )
    registration = _document(
        "Fiche d'inscription 2026-2027",
        "Fiche inscription Brax 2026-2027.odt",
        brax_families,
        minimal_odt("Fiche d'inscription 2026-2027 — accueil de loisirs de Brax"),
    )
    summer = _document(
        "Programme vacances d'été",
        "Programme ete Levignac.pdf",
        levignac_public,
        minimal_pdf("Programme des vacances d'été", ["Accueil de loisirs de Lévignac"]),
    )

    association_library = _library(association_page, "Imprimés", "imprimes")
    _entry(association_library, rules, "Règlement intérieur", Category.RULES, date(2012, 1, 9))
    brax_library = _library(brax_page, "Imprimés", "imprimes")
    _entry(
        brax_library,
        programme,
        "Programme vacances Avril 2012",
        Category.PROGRAMMES,
        date(2012, 3, 20),
    )
    _entry(brax_library, scan, "Scan Motorola", Category.OTHER, date(2012, 4, 2))
    _entry(
        brax_library,
        registration,
        "Fiche d'inscription 2026-2027",
        Category.REGISTRATION,
        date(2026, 5, 4),
    )
    levignac_library = _library(levignac_page, "Imprimés", "imprimes")
    _entry(
        levignac_library,
        summer,
        "Programme vacances d'été",
        Category.PROGRAMMES,
        date(2026, 6, 1),
    )
    return {
        "libraries": [association_library, brax_library, levignac_library],
        "documents": {
            "programme": programme,
            "scan": scan,
            "rules": rules,
            "registration": registration,
            "summer": summer,
        },
    }


def _keep_signatures_private(staff_collections):
    """Move each structure's certificate signature into its staff-only collection (the
    billing demo creates it in the root collection, which is public)."""
    for structure, collection in staff_collections.items():
        structure.refresh_from_db(fields=["certificate_signature"])
        image = structure.certificate_signature
        if image is not None and image.collection_id != collection.pk:
            image.collection = collection
            image.save(update_fields=["collection"])


def _collection(name, structure, visibility, parent=None):
    # Wagtail's migrations create the root collection; a database flushed by tests may not.
    parent = parent or Collection.get_first_root_node() or Collection.add_root(name="Root")
    collection = parent.get_children().filter(name=name).first()
    if collection is None:
        collection = parent.add_child(instance=Collection(name=name))
    rule = CollectionPrivacy.objects.filter(collection=collection).first()
    if rule is None or (rule.structure, rule.visibility) != (structure, visibility):
        rule = rule or CollectionPrivacy(collection=collection)
        rule.structure, rule.visibility = structure, visibility
        rule.save()
    return collection


def _document(title, filename, collection, content):
    Document = get_document_model()
    document = Document.objects.filter(title=title, collection=collection).first()
    if document is not None:
        return document
    name = f"documents/{filename}"
    if default_storage.exists(name) and not Document.objects.filter(file=name).exists():
        default_storage.delete(name)
    # Saved through the storage directly: a form upload would turn the manual's spaces into
    # underscores, and "Nom du fichier" should read as in the manual.
    stored = default_storage.save(name, ContentFile(content))
    document = Document(title=title, collection=collection, file=stored)
    document._set_document_file_metadata()
    document.save()
    return document


def _library(parent, title, slug):
    library = FormsLibraryPage.objects.child_of(parent).first()
    if library is None:
        library = parent.add_child(instance=FormsLibraryPage(title=title, slug=slug))
        library.save_revision().publish()
    return library


def _entry(library, document, label, category, shown_from):
    entry, _ = FormsLibraryEntry.objects.get_or_create(
        page=library,
        document=document,
        defaults={"label": label, "category": category, "shown_from": shown_from},
    )
    return entry


def minimal_pdf(title, lines):
    """A one-page PDF with a title and a few lines, in Helvetica (WinAnsi encoding)."""

    def text(value):
        escaped = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return escaped.encode("cp1252")

    stream = b"BT /F1 18 Tf 72 760 Td (" + text(title) + b") Tj"
    for line in lines:
        stream += b" 0 -28 Td /F1 12 Tf (" + text(line) + b") Tj"
    stream += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    output = io.BytesIO()
    output.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = output.tell()
    output.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        output.write(f"{offset:010d} 00000 n \n".encode())
    output.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return output.getvalue()


def minimal_odt(paragraph):
    """A minimal OpenDocument text: the mimetype entry first and uncompressed, as required."""
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODT_MIMETYPE}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:text><text:p>{paragraph}</text:p></office:text></office:body>"
        "</office:document-content>"
    )
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT_MIMETYPE, zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return output.getvalue()
