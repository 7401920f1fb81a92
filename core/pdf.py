"""The one PDF renderer: templates under templates/<app>/pdf/ to tagged PDF (PDF/UA-1), in
French, with WeasyPrint.

Rendering costs far more than serving a file, so documents are rendered once and stored.
WeasyPrint fetches every URL a template names; its fetcher here reads two local sources only:
the project's static files (`static:` URLs) and files of the default storage (`media:` URLs).
Anything else, remote addresses first, is refused, so a document never reaches the network.

What repeats from one document to the next is prepared once per process: the font
configuration, the stylesheets (`static_stylesheet`), and, for the documents rendered by the
thousand (invoices, yearly certificates), a short user-agent stylesheet (`lean=True`).
Documents rendered by the hundred go to worker processes (`fork_pool`, `PDFRenderer`,
`html_to_pdfs`), each still a document of its own. See docs/performance.md.
"""

import functools
import gc
import mimetypes
import multiprocessing
import sys
import zlib
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.db import connections
from django.template.loader import render_to_string
from django.utils import translation

import pydyf
import weasyprint.css.computed_values
import weasyprint.css.functions
import weasyprint.document  # noqa: F401 - loads the modules whose functions are replaced below
from weasyprint import CSS, HTML
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
def local_fetcher():
    """One fetcher per process: it keeps no state between fetches, and building one (urllib's
    ten protocol handlers, which it never uses) costs a few percent of a certificate."""
    return LocalOnlyURLFetcher()


@functools.cache
def font_config():
    """One font configuration per process: building it costs more than rendering a page."""
    return FontConfiguration()


@functools.cache
def static_stylesheet(path):
    """A stylesheet of the static files, read and parsed once per process rather than once
    per document (a `<link>` in the template is fetched and parsed at every render)."""
    with open(finders.find(path), encoding="utf-8") as file:
        return stylesheet(file.read())


def stylesheet(css):
    """A parsed stylesheet whose fonts and images come through `LocalOnlyURLFetcher`; its
    `@font-face` fonts join the process's font configuration."""
    return CSS(string=css, font_config=font_config(), url_fetcher=local_fetcher())


# WeasyPrint's own user-agent stylesheet styles every HTML element there is (forms, tables,
# lists, sixteen page-margin boxes…), and each box of a document is matched against all of
# it. These are its rules for the elements the ledger's documents and the certificates use,
# nothing else: the same layout, the same tags and outline, for less work per box.
LEAN_USER_AGENT_CSS = """
[id] { -weasy-anchor: attr(id) }
a[name] { -weasy-anchor: attr(name) }
[lang] { -weasy-lang: attr(lang) }
a[href] { -weasy-link: attr(href) }
head, link, meta, script, style, title { display: none }
body, div, h1, h2, html, p, section { display: block }
p { margin-top: 1em; margin-bottom: 1em }
body { margin: 8px }
h1 { margin-top: .67em; margin-bottom: .67em; font-size: 2em; font-weight: bold }
h2 { margin-top: .83em; margin-bottom: .83em; font-size: 1.5em; font-weight: bold }
b, strong { font-weight: bold }
:link { color: blue; text-decoration: underline }
img { overflow: hidden }
h1 { bookmark-level: 1 }
h2 { bookmark-level: 2 }
h1, h2 { bookmark-label: content(text); hyphens: manual; break-after: avoid; break-inside: avoid }
@page {
  margin: 75px;
  @footnote { margin-top: 1em }
  @top-left-corner     { text-align: right;  vertical-align:  middle }
  @top-left            { text-align: left;   vertical-align:  middle }
  @top-center          { text-align: center; vertical-align:  middle }
  @top-right           { text-align: right;  vertical-align:  middle }
  @top-right-corner    { text-align: left;   vertical-align:  middle }
  @left-top            { text-align: center; vertical-align:  top    }
  @left-middle         { text-align: center; vertical-align:  middle }
  @left-bottom         { text-align: center; vertical-align:  bottom }
  @right-top           { text-align: center; vertical-align:  top    }
  @right-middle        { text-align: center; vertical-align:  middle }
  @right-bottom        { text-align: center; vertical-align:  bottom }
  @bottom-left-corner  { text-align: right;  vertical-align:  middle }
  @bottom-left         { text-align: left;   vertical-align:  middle }
  @bottom-center       { text-align: center; vertical-align:  middle }
  @bottom-right        { text-align: right;  vertical-align:  middle }
  @bottom-right-corner { text-align: left;   vertical-align:  middle }
}
"""


@functools.cache
def _lean_user_agent():
    return CSS(string=LEAN_USER_AGENT_CSS)


class LeanHTML(HTML):
    """An HTML document styled by `LEAN_USER_AGENT_CSS` instead of the full user-agent
    stylesheet: for templates that use only the elements it lists. (`_ua_stylesheets` is
    WeasyPrint's own hook for it; were it renamed, documents would get the full stylesheet
    again, the same PDF a little slower.)"""

    def _ua_stylesheets(self, forms=False):
        return [_lean_user_agent()]


# Three of WeasyPrint's functions run thousands of times per page for the same answer; a
# certificate or an invoice spends about a tenth of its CPU time in them. They are replaced,
# once per process, by versions that give the same results faster (`tests/core/test_pdf.py`
# compares them with the originals). Were WeasyPrint to rename them, nothing would be
# replaced and the documents would be the same, a little slower.
#
# - Every element's border, outline and decoration colours start as the text "currentcolor",
#   which WeasyPrint tokenizes again for each of them: the colours given as text are kept.
#   A parsed colour is never changed afterwards (WeasyPrint shares its initial ones too).
# - Every length is checked for a `calc()`-like function at each use, by building an object
#   that is thrown away: a value that is not a function token is answered at once.
# - pydyf, which writes the file, compresses each stream (the embedded fonts first) at zlib's
#   slowest level, 9: level 6 gives files 0.5 % larger in two thirds of the time.
_WEASYPRINT_COLOR = weasyprint.css.computed_values.parse_color
_WEASYPRINT_CHECK_MATH = weasyprint.css.functions.check_math


@functools.lru_cache(maxsize=512)
def _color_from_text(text, color_schemes):
    return _WEASYPRINT_COLOR(text, color_schemes)


def parse_color(values, color_schemes=None):
    if isinstance(values, str):
        try:
            return _color_from_text(values, color_schemes)
        except TypeError:  # a colour scheme that is not hashable: parsed as WeasyPrint does
            pass
    return _WEASYPRINT_COLOR(values, color_schemes)


def check_math(token):
    if getattr(token, "type", None) != "function":
        return None
    return _WEASYPRINT_CHECK_MATH(token)


class _Zlib:
    """zlib as pydyf sees it: the same, but streams are compressed at level 6."""

    STREAM_LEVEL = 6

    def compressobj(self, level=-1, *args, **kwargs):
        return zlib.compressobj(min(level, self.STREAM_LEVEL), *args, **kwargs)

    def __getattr__(self, name):
        return getattr(zlib, name)


def _speed_up_weasyprint():
    if getattr(pydyf, "zlib", None) is zlib:
        pydyf.zlib = _Zlib()
    for name, module in list(sys.modules.items()):
        if not name.startswith("weasyprint"):
            continue
        if getattr(module, "parse_color", None) is _WEASYPRINT_COLOR:
            module.parse_color = parse_color
        if getattr(module, "check_math", None) is _WEASYPRINT_CHECK_MATH:
            module.check_math = check_math


_speed_up_weasyprint()


def render_html(template_name, context):
    """The HTML of a document's template, in French."""
    with translation.override("fr"):
        return render_to_string(template_name, context)


def html_to_pdf(html, *, url_fetcher=None, stylesheets=None, lean=False):
    """PDF/UA-1 bytes of a document's HTML (see `render_pdf`)."""
    # Links in the text become absolute addresses of the site; nothing is fetched from there.
    document = (LeanHTML if lean else HTML)(
        string=html,
        base_url=settings.SITE_URL + "/",
        url_fetcher=url_fetcher or local_fetcher(),
    )
    stylesheets = [
        static_stylesheet(sheet) if isinstance(sheet, str) else sheet for sheet in stylesheets or ()
    ]
    return document.write_pdf(
        stylesheets=stylesheets, font_config=font_config(), pdf_variant="pdf/ua-1"
    )


def render_pdf(template_name, context, *, url_fetcher=None, stylesheets=None, lean=False):
    """PDF/UA-1 bytes of a template rendered in French.

    `stylesheets`: parsed `CSS` objects or paths of static files (see `static_stylesheet`).
    `lean`: the template uses only the elements `LEAN_USER_AGENT_CSS` styles.
    """
    return html_to_pdf(
        render_html(template_name, context),
        url_fetcher=url_fetcher,
        stylesheets=stylesheets,
        lean=lean,
    )


# --- Many documents at once ------------------------------------------------------------------


def fork_pool(workers, stylesheets=()):
    """A pool of `workers` processes forked from this one, for rendering only: they are given
    what to render and give bytes or file names back, and never use the database.

    The font configuration and the static `stylesheets` are prepared here first, so that the
    workers inherit them instead of each building them again.
    """
    font_config()
    for sheet in stylesheets:
        try:
            static_stylesheet(sheet)
        except Exception:  # noqa: BLE001, S112 - it fails again, and is reported, in its document
            continue
    # Forked children must not share the parent's database sockets; inside a transaction
    # (a test) they stay open and the children simply never use them.
    if not any(connection.in_atomic_block for connection in connections.all()):
        connections.close_all()
    # What the parent holds when forking is frozen out of the workers' garbage collections:
    # rendering makes garbage fast, and each full collection would otherwise walk (and copy,
    # page by page) the whole inherited heap again.
    gc.collect()
    gc.freeze()
    try:
        return multiprocessing.get_context("fork").Pool(workers)
    finally:
        gc.unfreeze()


class RenderingFailed(Exception):  # noqa: N818 - read as "the rendering failed"
    """A document of a batch that could not be rendered; the others were."""


def _html_to_pdf_job(document):
    html, stylesheets, lean = document
    try:
        return html_to_pdf(html, stylesheets=stylesheets, lean=lean)
    except Exception as exc:  # noqa: BLE001 - one document's failure must not stop the batch
        # As text: the exception itself may not survive the trip back to the parent.
        return RenderingFailed(f"{type(exc).__name__}: {exc}")


class PDFRenderer:
    """Renders documents, `(html, stylesheet paths, lean)` each, while the caller goes on:
    with more than one worker, by that many processes forked at the start (`fork_pool`), a
    few documents at a time each; with one, in this process as they come.

    `finish()` gives the PDF bytes in the order the documents were added, a
    `RenderingFailed` in place of one that could not be rendered. Use as a context manager.
    """

    CHUNK = 4  # documents handed to a worker at a time

    def __init__(self, workers=1, stylesheets=()):
        self.pool = fork_pool(workers, stylesheets) if workers > 1 else None
        self.waiting = []
        self.batches = []

    def add(self, document):
        if self.pool is None:
            self.batches.append([_html_to_pdf_job(document)])
            return
        self.waiting.append(document)
        if len(self.waiting) >= self.CHUNK * 2:
            self._send()

    def _send(self):
        if self.waiting:
            self.batches.append(
                self.pool.map_async(_html_to_pdf_job, self.waiting, chunksize=self.CHUNK)
            )
            self.waiting = []

    def finish(self):
        if self.pool is not None:
            self._send()
        results = []
        for batch in self.batches:
            results += batch if isinstance(batch, list) else batch.get()
        self.batches = []
        return results

    def close(self):
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def html_to_pdfs(documents, workers=1):
    """PDF bytes of many documents, `(html, stylesheet paths, lean)` each, in their order;
    a document that could not be rendered gives a `RenderingFailed` in its place. With more
    than one worker they are rendered by that many forked processes (`PDFRenderer`).
    """
    documents = list(documents)
    workers = min(workers, len(documents))
    stylesheets = {sheet for document in documents for sheet in document[1]}
    with PDFRenderer(workers, stylesheets) as renderer:
        for document in documents:
            renderer.add(document)
        return renderer.finish()


def pdf_file_name(number):
    """ "F2026/0001" → "F2026-0001.pdf": document numbers hold slashes, file names cannot."""
    return number.replace("/", "-") + ".pdf"
