import hashlib

from django.conf import settings
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.generic import TemplateView

from wagtail import hooks
from wagtail.documents import get_document_model
from wagtail.models import Page, Site

MAX_QUERY_LENGTH = 200
RESULTS_PER_PAGE = 10
MAX_DOCUMENTS = 20


def public_collection_members(queryset):
    """Narrow documents or images to those anyone may read (hook of the library app)."""
    for restrict in hooks.get_hooks("filter_public_collection_members"):
        queryset = restrict(queryset)
    return queryset


class SearchView(TemplateView):
    """Site search: public live pages of this site, and titles of public documents."""

    template_name = "home/search.html"

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            request.cache_publicly = True
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
        context.update(query=query, page_title=None, page_obj=None, documents=[])
        if not query:
            return context
        site = Site.find_for_request(self.request)
        pages = Page.objects.live().public()
        pages = pages.descendant_of(site.root_page, inclusive=True) if site else pages.none()
        paginator = Paginator(pages.search(query), RESULTS_PER_PAGE)
        context["page_obj"] = paginator.get_page(self.request.GET.get("page"))
        documents = public_collection_members(get_document_model().objects.all())
        context["documents"] = list(documents.search(query)[:MAX_DOCUMENTS])
        return context


# --- Installable web app: manifest, service worker, offline page -----------------------------

THEME_COLOUR = "#083f5e"  # --brand-dark in site.css
APP_ICONS = (
    ("app/icon-192.png", "192x192", "any"),
    ("app/icon-512.png", "512x512", "any"),
    ("app/icon-maskable-192.png", "192x192", "maskable"),
    ("app/icon-maskable-512.png", "512x512", "maskable"),
)
# What the service worker keeps for offline use: public static files and the offline page.
APP_SHELL = ("css/site.css", "js/site.js", "favicon.svg", *(icon for icon, _s, _p in APP_ICONS))


def web_manifest(request):
    """The web app manifest: installs the family area as "Portail Familles"."""
    manifest = {
        "name": "Portail Familles",
        "short_name": "Portail Familles",
        "description": gettext("The family area of your leisure centre."),
        "lang": get_language(),
        "start_url": reverse("parents:home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static(icon), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for icon, sizes, purpose in APP_ICONS
        ],
    }
    request.cache_publicly = True
    return JsonResponse(
        manifest,
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


def service_worker(request):
    """The service worker, served from the site root so that its scope is the whole site.

    It keeps only public static files and the offline page; every page, document and API
    answer goes to the network and is never stored (see templates/home/service-worker.js).
    Its version follows the files it keeps, so a deployment that changes them replaces it.
    """
    shell = [static(path) for path in APP_SHELL]
    offline = reverse("home:offline")
    version = hashlib.sha256("\n".join([offline, *shell]).encode()).hexdigest()[:12]
    response = render(
        request,
        "home/service-worker.js",
        {
            "version": version,
            "offline_url": offline,
            "shell": shell,
            "static_prefix": settings.STATIC_URL,
        },
        content_type="text/javascript; charset=utf-8",
    )
    # The browser checks for a new worker on every visit, and may give it the whole site.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


class OfflineView(TemplateView):
    """What the service worker shows when a page cannot be reached: nothing private in it."""

    template_name = "home/offline.html"

    def get(self, request, *args, **kwargs):
        request.cache_publicly = True
        return super().get(request, *args, **kwargs)
