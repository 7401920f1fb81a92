"""Health sheets as PDF/UA-1: one child's sheet, or every sheet of a day or an outing.

Never stored: a health sheet changes and is kept for the season only, so it is rendered
when asked, after the access check, and each staff request is logged by the caller.

The renderer is the project's WeasyPrint set-up (tagged PDF/UA-1, French, a fetcher that
reads nothing but our static files); it belongs to the shared base layer (`core.pdf`).
"""

import functools
import mimetypes
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import health, services
from .models import AuthorisedPerson

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
    return FontConfiguration()


def render_pdf(template_name, context):
    with translation.override("fr"):
        html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=StaticOnlyURLFetcher())
    return document.write_pdf(font_config=font_config(), pdf_variant="pdf/ua-1")


def sheet_context(child):
    """Everything one child's sheet prints: identity, guardians, health, contacts."""
    family = child.family
    sheet = services.health_sheet(child)
    guardians = [
        (guardian, services.guardian_details(guardian))
        for guardian in family.guardians.order_by("pk")
    ]
    people = [
        person
        for person in AuthorisedPerson.objects.for_family(family).prefetch_related("children")
        if not person.children.all() or child in person.children.all()
    ]
    return {
        "child": child,
        "family": family,
        "details": services.child_details(child),
        "sheet": sheet,
        "groups": health.grouped(sheet.data),
        "markers": health.markers(sheet.data),
        "guardians": guardians,
        "people": people,
    }


def health_sheets_pdf(children, *, title, structure):
    """One PDF with a sheet per child (a page break between children)."""
    return render_pdf(
        "family_file/pdf/health_sheets.html",
        {
            "title": title,
            "structure": structure,
            "sheets": [sheet_context(child) for child in children],
            "printed_at": timezone.localtime(),
        },
    )
