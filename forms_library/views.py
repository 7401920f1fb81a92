import mimetypes
from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, Http404
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext_lazy as _

from wagtail.documents.views.serve import serve

from parents.views import FamilyPageView

from .models import (
    Access,
    CollectionPrivacy,
    FormsLibraryEntry,
    FormsLibraryPage,
    document_access,
    library_sections,
)


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


def media_is_public(collection, rule):
    return (rule is None or rule.is_public) and not collection.get_view_restrictions().exists()


def _may_see_restricted(user, image, rule):
    if rule is not None and not rule.is_public:
        return document_access(user, image, rule) == Access.ALLOWED
    # Only a Wagtail view restriction (no privacy rule): staff with rights on the collection.
    if not user.is_authenticated or user.guardian_or_none is not None:
        return False
    from wagtail.permissions import policy_registry

    policy = policy_registry.get_by_type(type(image))
    return (
        policy.user_has_any_permission_for_instance(user, ["change", "choose"], image)
        and getattr(user, "is_verified", lambda: False)()
    )


def serve_media(request, path):
    """Every file under MEDIA_URL, sent by the application after the collection's rule.

    Images (originals and renditions) are checked like documents: public collections to
    anyone (and cacheable), restricted ones to the families and staff `document_access`
    admits, everyone else a 404. Documents have their own serve view and anything else
    under MEDIA_ROOT is never sent, so no file is public because of where it is stored.
    """
    from wagtail.images import get_image_model

    if ".." in PurePosixPath(path).parts or path.startswith("/"):
        raise Http404
    image_model = get_image_model()
    image = None
    if path.startswith("original_images/"):
        image = image_model.objects.filter(file=path).select_related("collection").first()
    elif path.startswith("images/"):
        rendition = (
            image_model.get_rendition_model()
            .objects.filter(file=path)
            .select_related("image__collection")
            .first()
        )
        image = rendition.image if rendition else None
    if image is None:
        raise Http404
    rule = CollectionPrivacy.objects.rule_for(image.collection)
    public = media_is_public(image.collection, rule)
    if not public and not _may_see_restricted(request.user, image, rule):
        # An image is embedded, not visited: no login page, just nothing.
        raise Http404
    storage = default_storage
    if not storage.exists(path):
        raise Http404
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = FileResponse(storage.open(path, "rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    if public:
        request.cache_publicly = True
    else:
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
    return response
