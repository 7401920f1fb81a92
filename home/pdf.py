"""Help pages as tagged PDF (PDF/UA-1), in French, rendered with WeasyPrint.

WeasyPrint fetches every URL a template names. Its fetcher here reads two local sources
only: the project's static files (`static:` URLs) and image files from the default storage
(`media:` URLs); anything else, remote addresses first, is refused. The same approach as the
invoices' renderer in billing/pdf.py, kept apart because this app must not depend on billing.
"""

import functools
import mimetypes
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_SCHEME = "static:"
MEDIA_SCHEME = "media:"


class LocalOnlyURLFetcher(URLFetcher):
    """Serves `static:` and `media:` URLs from local files and refuses everything else."""

    def fetch(self, url, headers=None):
        if url.startswith(STATIC_SCHEME):
            relative = self._relative(url, STATIC_SCHEME)
            path = finders.find(relative)
            if not path:
                raise ValueError(f"No static file {relative!r}.")
            with open(path, "rb") as file:
                body = file.read()
        elif url.startswith(MEDIA_SCHEME):
            relative = self._relative(url, MEDIA_SCHEME)
            with default_storage.open(relative, "rb") as file:
                body = file.read()
        else:
            raise ValueError(f"Refused to fetch {url!r} while rendering a PDF.")
        content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})

    @staticmethod
    def _relative(url, scheme):
        relative = url[len(scheme) :].lstrip("/")
        if ".." in PurePosixPath(relative).parts:
            raise ValueError(f"Refused to fetch {url!r} outside its folder.")
        return relative


@functools.cache
def font_config():
    """One font configuration per process: building it costs more than rendering a page."""
    return FontConfiguration()


def render_pdf(template_name, context):
    with translation.override("fr"):
        html = render_to_string(template_name, context)
    # Links in the text become absolute addresses of the site; nothing is fetched from there.
    document = HTML(
        string=html, base_url=settings.SITE_URL + "/", url_fetcher=LocalOnlyURLFetcher()
    )
    return document.write_pdf(font_config=font_config(), pdf_variant="pdf/ua-1")


def render_help_page_pdf(page):
    return render_pdf("home/pdf/help_page.html", {"page": page})
