"""The help page's "Cliquer ici pour ouvrir en format PDF": a tagged French PDF of the page,
rendered without fetching anything but local files."""

import io

import pytest
from pypdf import PdfReader

from tests.factories.content import make_collection, make_help_page, make_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def manual(home):
    picture = make_image("Menu de l'espace famille", make_collection("Aide"))
    return make_help_page(
        home,
        "Manuel d'utilisation de l'extranet",
        [
            ("heading", {"text": "Imprimés", "level": "h2"}),
            (
                "paragraph",
                '<p>Voir <a href="https://get.adobe.com/fr/reader/">un lecteur PDF</a>.</p>',
            ),
            (
                "image",
                {
                    "image": {"image": picture.pk, "alt_text": "Le menu", "decorative": False},
                    "caption": "Le menu de gauche",
                },
            ),
            ("question", {"question": "Comment payer ?", "answer": "<p>En ligne.</p>"}),
        ],
        slug="manuel",
    )


def test_the_pdf_is_the_page_tagged_in_french(client, manual):
    response = client.get(manual.url + "pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="manuel.pdf"'

    reader = PdfReader(io.BytesIO(response.content))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "fr"
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert "pdfuaid" in reader.xmp_metadata.rdf_root.toxml()
    assert reader.metadata.title == "Manuel d'utilisation de l'extranet"
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in ("Manuel d'utilisation de l'extranet", "Imprimés", "Comment payer ?"):
        assert expected in text
    assert any("/XObject" in page["/Resources"] for page in reader.pages)  # the image
    links = [
        annotation.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annotation in page.get("/Annots", [])
    ]
    assert "https://get.adobe.com/fr/reader/" in links
