from django.db.models import Q
from django.http import Http404
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext_lazy as _

from wagtail.documents.views.serve import serve

from parents.views import FamilyPageView

from .models import CollectionPrivacy, FormsLibraryEntry, FormsLibraryPage, library_sections


class FamilyFormsView(FamilyPageView):
    """ "Imprimés" in the family area: the family's structure library and the association's,
    with the documents restricted to this family's structure as well as the public ones."""

    template_name = "forms_library/family_forms.html"
    menu_url_name = "forms_library:family-forms"
    page_title = _("Printed forms")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        libraries = FormsLibraryPage.objects.live().filter(
            Q(structure=self.structure) | Q(structure__isnull=True)
        )
        entries = FormsLibraryEntry.objects.filter(page__in=libraries).select_related("document")
        readable = CollectionPrivacy.objects.family_collection_ids(self.structure)
        context["sections"] = library_sections(
            entries, lambda document: document.collection_id in readable
        )
        return context


def serve_document(request, document_id, document_filename):
    """Wagtail's document serve view, with caching headers that follow the collection's rule.

    The access check itself is the `before_serve_document` hook, which records whether the
    document is public. A restricted document must never be stored by a shared cache, whatever
    a proxy would guess from Last-Modified; a public one may be, for a while.
    """
    response = serve(request, document_id, document_filename)
    if response.status_code in (200, 304):
        if getattr(request, "document_is_public", False):
            # Set on the response by the public cache middleware, once it has seen the cookies.
            request.cache_publicly = True
        else:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
    return response


def not_served(request):
    """The documents folder of MEDIA_ROOT is never served as files: see docs/content.md."""
    raise Http404
