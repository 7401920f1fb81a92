"""PDF documents rendered once with WeasyPrint, tagged (PDF/UA-1) and in French.

Rendering is slow compared to serving a file, so documents are rendered when issued and
stored in private storage; the download view never renders. WeasyPrint fetches any URL a
template names, so it gets a fetcher that can only read the project's own static files.
"""

import functools
import mimetypes
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_SCHEME = "static:"


class StaticOnlyURLFetcher(URLFetcher):
    """Serves `static:` URLs from the static files finders and refuses everything else."""

    def fetch(self, url, headers=None):
        if not url.startswith(STATIC_SCHEME):
            raise ValueError(f"Refused to fetch {url!r} while rendering a PDF.")
        relative = url[len(STATIC_SCHEME) :].lstrip("/")
        path = finders.find(relative)
        if not path or ".." in Path(relative).parts:
            raise ValueError(f"No static file {relative!r}.")
        content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=Path(path).read_bytes(), headers={"Content-Type": content_type}
        )


@functools.cache
def font_config():
    """One font configuration for the whole process: building it costs more than a page."""
    return FontConfiguration()


def render_pdf(template_name, context):
    """Render a template under templates/billing/pdf/ to PDF/UA-1 bytes, in French."""
    with translation.override("fr"):
        html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=StaticOnlyURLFetcher())
    return document.write_pdf(font_config=font_config(), pdf_variant="pdf/ua-1")


def _pdf_name(number):
    return number.replace("/", "-") + ".pdf"


def invoice_context(invoice):
    from .money import ZERO

    lines = list(invoice.lines.select_related("child").order_by("sort_order", "pk"))
    children = {line.child for line in lines if line.child}
    return {
        "invoice": invoice,
        "lines": lines,
        "structure": invoice.structure,
        "association": invoice.structure.association,
        "family": invoice.family,
        "children": sorted(children, key=lambda c: (c.birth_date, c.first_name)),
        "paid": invoice.paid_at_issue or ZERO,
        "left_to_pay": invoice.total - (invoice.paid_at_issue or ZERO),
    }


def store_invoice_pdf(invoice):
    data = render_pdf("billing/pdf/invoice.html", invoice_context(invoice))
    invoice.pdf.save(_pdf_name(invoice.number), ContentFile(data), save=False)


def store_credit_note_pdf(credit_note):
    lines = list(
        credit_note.lines.select_related("invoice_line__child").order_by("sort_order", "pk")
    )
    context = {
        "credit_note": credit_note,
        "invoice": credit_note.invoice,
        "lines": lines,
        "structure": credit_note.structure,
        "association": credit_note.structure.association,
        "family": credit_note.family,
    }
    data = render_pdf("billing/pdf/credit_note.html", context)
    credit_note.pdf.save(_pdf_name(credit_note.number), ContentFile(data), save=False)
