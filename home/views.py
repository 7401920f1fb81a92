from django.core.paginator import Paginator
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
