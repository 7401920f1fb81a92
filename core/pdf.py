"""The one PDF renderer: templates under templates/<app>/pdf/ to tagged PDF (PDF/UA-1), in
French, with WeasyPrint.

Rendering costs far more than serving a file, so documents are rendered once and stored.
WeasyPrint fetches every URL a template names; its fetcher here reads two local sources only:
the project's static files (`static:` URLs) and files of the default storage (`media:` URLs).
Anything else, remote addresses first, is refused, so a document never reaches the network.
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
        return self.response(url, body, relative)

    @staticmethod
    def response(url, body, name):
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
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


def render_pdf(template_name, context, *, url_fetcher=None, stylesheets=None):
    """PDF/UA-1 bytes of a template rendered in French."""
    with translation.override("fr"):
        html = render_to_string(template_name, context)
    # Links in the text become absolute addresses of the site; nothing is fetched from there.
    document = HTML(
        string=html,
        base_url=settings.SITE_URL + "/",
        url_fetcher=url_fetcher or LocalOnlyURLFetcher(),
    )
    return document.write_pdf(
        stylesheets=stylesheets, font_config=font_config(), pdf_variant="pdf/ua-1"
    )


def pdf_file_name(number):
    """ "F2026/0001" → "F2026-0001.pdf": document numbers hold slashes, file names cannot."""
    return number.replace("/", "-") + ".pdf"
