from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from wagtail import hooks
from wagtail.admin import messages

from .models import (
    Access,
    CollectionPrivacy,
    FormsLibraryEntry,
    FormsLibraryPage,
    document_access,
)
from .viewsets import CollectionPrivacyViewSet


@hooks.register("before_serve_document")
def enforce_collection_privacy(document, request):
    """Apply the collection's rule before Wagtail sends a document."""
    rule = CollectionPrivacy.objects.rule_for(document.collection)
    access = document_access(request.user, document, rule)
    # Read by the serve view's wrapper to choose the caching headers.
    request.document_is_public = (rule is None or rule.is_public) and not (
        document.collection.get_view_restrictions().exists()
    )
    if access == Access.ALLOWED:
        return None
    if access == Access.LOGIN_REQUIRED:
        return redirect_to_login(request.get_full_path(), reverse("parents:login"))
    if access == Access.SECOND_FACTOR_REQUIRED:
        from django_otp import user_has_device

        target = "otp:verify" if user_has_device(request.user) else "otp:setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
    # Another structure's family, or staff without rights: as if the document did not exist.
    raise Http404


@hooks.register("filter_public_collection_members")
def only_public_collections(queryset):
    """Documents or images that anyone may read: the public site, search and API use this."""
    return queryset.filter(collection_id__in=CollectionPrivacy.objects.public_collection_ids())


@hooks.register("list_latest_documents")
def latest_library_documents(structure=None, limit=5):
    """The newest public entries of live libraries, for the home pages' news."""
    return FormsLibraryEntry.objects.latest_public(structure=structure, limit=limit)


@hooks.register("register_admin_viewset")
def register_collection_privacy_viewset():
    return CollectionPrivacyViewSet("collection_privacy")


@hooks.register("register_log_scopes")
def register_media_log_scopes():
    """Audit entries about documents and images: those of collections the user works in."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from .admin_scoping import usable_collection_members

    return {
        model: lambda user, model=model: usable_collection_members(model, user)
        for model in (get_document_model(), get_image_model())
    }


@hooks.register("construct_admin_api", order=100)
def scope_admin_api(router):
    """After Wagtail's own registrations (order): its endpoints list every collection."""
    from .admin_scoping import ScopedDocumentsAdminAPIViewSet, ScopedImagesAdminAPIViewSet

    router.register_endpoint("images", ScopedImagesAdminAPIViewSet)
    router.register_endpoint("documents", ScopedDocumentsAdminAPIViewSet)


def may_delete_library(user, page):
    """Directors edit and publish their structure's library, which in Wagtail also lets them
    delete it; deleting stays with those who may edit the page above it (communication staff
    of the structure, superusers)."""
    parent = page.get_parent()
    return parent is not None and parent.permissions_for_user(user).can_edit()


@hooks.register("before_delete_page")
def keep_libraries_from_directors(request, page):
    if isinstance(page, FormsLibraryPage) and not may_delete_library(request.user, page):
        messages.error(request, _("Only communication staff may delete an “Imprimés” page."))
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


@hooks.register("before_bulk_action")
def keep_libraries_from_bulk_deletion(request, action_type, objects, action_class_instance):
    if action_type != "delete":
        return None
    for page in objects:
        specific = getattr(page, "specific", page)
        if isinstance(specific, FormsLibraryPage) and not may_delete_library(
            request.user, specific
        ):
            messages.error(request, _("Only communication staff may delete an “Imprimés” page."))
            return redirect("wagtailadmin_explore", specific.get_parent().pk)
    return None
