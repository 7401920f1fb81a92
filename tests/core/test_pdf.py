"""The one PDF renderer: local files only, never the network."""

import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from django.core.exceptions import SuspiciousFileOperation

import pytest
from pypdf import PdfReader

from core.pdf import LocalOnlyURLFetcher, pdf_file_name, render_pdf
from tests.factories.content import image_bytes

pytestmark = pytest.mark.django_db


def test_document_numbers_become_file_names():
    assert pdf_file_name("2L2012/0038EN") == "2L2012-0038EN.pdf"


def test_the_fetcher_serves_static_files():
    fetcher = LocalOnlyURLFetcher()
    response = fetcher.fetch("static:billing/pdf.css")
    assert response.headers["Content-Type"] == "text/css"
    with pytest.raises(ValueError, match="Refused"):
        fetcher.fetch("http://example.com/x.png")
    with pytest.raises(ValueError, match="Refused"):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(ValueError, match="No static file"):
        fetcher.fetch("static:billing/nothing-here.png")
    with pytest.raises((ValueError, SuspiciousFileOperation)):
        fetcher.fetch("static:../../config/settings/base.py")


@pytest.fixture
def web_server():
    """A real HTTP server on localhost that records every request it receives."""
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", requests
    server.shutdown()
    server.server_close()


def test_rendering_never_fetches_from_the_network(settings, tmp_path, web_server):
    base_url, requests = web_server
    template = tmp_path / "billing" / "pdf" / "probe.html"
    template.parent.mkdir(parents=True)
    template.write_text(
        '<html lang="fr"><body><p>Sonde</p>'
        '<img src="{{ url }}/logo.png" alt="logo">'
        '<link rel="stylesheet" href="{{ url }}/style.css"></body></html>'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]

    data = render_pdf("billing/pdf/probe.html", {"url": base_url})

    assert data.startswith(b"%PDF")
    assert "Sonde" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert requests == []


def test_the_fetcher_reads_local_files_and_refuses_the_rest(media_root):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    default_storage.save("images/logo.png", ContentFile(image_bytes()))
    fetcher = LocalOnlyURLFetcher()
    assert fetcher.fetch("static:css/content-pdf.css").read().startswith(b"@page")
    assert fetcher.fetch("media:images/logo.png").read().startswith(b"\x89PNG")
    for url in (
        "https://example.org/tracker.png",
        "file:///etc/passwd",
        "static:../config/settings/base.py",
        "media:../db.sqlite3",
    ):
        with pytest.raises(ValueError, match="Refused|No static file"):
            fetcher.fetch(url)


@pytest.fixture
def probe_template(settings, tmp_path):
    """A document with a heading, bold text and a name outside the embedded font's characters."""
    template = tmp_path / "billing" / "pdf" / "lean-probe.html"
    template.parent.mkdir(parents=True)
    template.write_text(
        '<!DOCTYPE html><html lang="fr"><head><title>Sonde</title></head><body>'
        "<h1>Attestation</h1><h2>Détail</h2><p><strong>Nguyễn Thị Łucja</strong>, "
        "36,07 €</p></body></html>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    return "billing/pdf/lean-probe.html"


def test_the_lean_user_agent_stylesheet_keeps_the_text_tags_and_outline(probe_template):
    """Documents rendered by the thousand skip WeasyPrint's full user-agent stylesheet."""
    full, lean = (
        PdfReader(
            io.BytesIO(render_pdf(probe_template, {}, stylesheets=["billing/pdf.css"], lean=lean))
        )
        for lean in (False, True)
    )
    assert lean.pages[0].extract_text() == full.pages[0].extract_text()
    assert "Nguyễn Thị Łucja, 36,07 €" in lean.pages[0].extract_text()
    assert [item["/Title"] for item in _flat(lean.outline)] == ["Attestation", "Détail"]
    assert [item["/Title"] for item in _flat(lean.outline)] == [
        item["/Title"] for item in _flat(full.outline)
    ]
    catalog = lean.trailer["/Root"]
    assert catalog["/Lang"] == "fr" and "/StructTreeRoot" in catalog
    assert lean.metadata.title == "Sonde"


def _flat(outline):
    for item in outline:
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item


def test_the_embedded_font_is_the_small_one_and_other_characters_fall_back(probe_template):
    reader = PdfReader(io.BytesIO(render_pdf(probe_template, {}, stylesheets=["billing/pdf.css"])))
    fonts = {
        font.get_object()["/BaseFont"].split("+", 1)[1]
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    # ễ and ị are not among the embedded font's characters: DejaVu Sans draws them.
    assert {"Portail-Sans", "Portail-Sans-Bold"} <= fonts
    assert any(name.startswith("DejaVu") for name in fonts)
    assert "Nguyễn Thị Łucja" in reader.pages[0].extract_text()


def test_a_stylesheet_of_the_static_files_is_parsed_once():
    from core.pdf import static_stylesheet

    assert static_stylesheet("billing/pdf.css") is static_stylesheet("billing/pdf.css")


def test_the_faster_weasyprint_functions_answer_as_the_originals():
    """`core.pdf` replaces three functions WeasyPrint calls thousands of times a page."""
    import zlib

    import pydyf
    import tinycss2
    from weasyprint.css import computed_values, functions
    from weasyprint.layout import percent

    from core import pdf

    assert computed_values.parse_color is pdf.parse_color
    assert percent.check_math is pdf.check_math
    for text in ("currentcolor", "#333", "#111111", "black", "transparent", "nonsense"):
        for schemes in (None, "normal"):
            expected, got = pdf._WEASYPRINT_COLOR(text, schemes), pdf.parse_color(text, schemes)
            assert repr(got) == repr(expected)
    assert pdf.parse_color("#333") is pdf.parse_color("#333")  # parsed once
    token = tinycss2.parse_one_component_value("calc(100% - 113mm)")
    assert pdf.check_math(token) is functions.check_math(token) is True
    for value in (tinycss2.parse_one_component_value("12mm"), "auto", None):
        assert pdf.check_math(value) is pdf._WEASYPRINT_CHECK_MATH(value) is None
    stream = pydyf.Stream([b"BT /F1 12 Tf (Attestation) Tj ET"] * 50, compress=True)
    data = stream.data
    compressed = data[data.index(b"stream\n") + 7 : data.rindex(b"\nendstream")]
    assert zlib.decompress(compressed) == b"\n".join([b"BT /F1 12 Tf (Attestation) Tj ET"] * 50)


def test_many_documents_are_rendered_by_worker_processes_in_their_order():
    from core.pdf import RenderingFailed, html_to_pdfs

    documents = [
        (f'<html lang="fr"><title>N{n}</title><p>Document {n}</p></html>', [], True)
        for n in range(3)
    ]
    documents.insert(1, ("<p>Sans feuille</p>", ["billing/no-such-sheet.css"], True))

    results = html_to_pdfs(documents, workers=2)

    assert isinstance(results[1], RenderingFailed)
    texts = [PdfReader(io.BytesIO(results[n])).pages[0].extract_text() for n in (0, 2, 3)]
    assert texts == ["Document 0", "Document 1", "Document 2"]
