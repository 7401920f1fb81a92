"""Documents and images in the admin: each member of staff reaches only those of the
collections they work in, whatever the entry point (chooser, admin API, bulk actions, forms).

Wagtail's choosers and listings already follow collection permissions; its admin API and
bulk-action pages do not (they list any id asked for, with its title), and a model form
offers every image. These narrow them with the same rule.
"""

from django.apps import apps
from django.http import Http404

from wagtail.admin.views.bulk_action import index as wagtail_bulk_action
from wagtail.documents import get_document_model
from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.images import get_image_model
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet
from wagtail.models import Page
from wagtail.permissions import policy_registry

STAFF_ACTIONS = ["add", "change", "choose", "delete"]


def usable_collection_members(model, user, actions=STAFF_ACTIONS):
    """Documents or images of `model` that `user` may work with (all for superusers)."""
    return policy_registry.get_by_type(model).instances_user_has_any_permission_for(user, actions)


class ScopedImagesAdminAPIViewSet(ImagesAdminAPIViewSet):
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(
                pk__in=usable_collection_members(get_image_model(), self.request.user).values("pk")
            )
        )


class ScopedDocumentsAdminAPIViewSet(DocumentsAdminAPIViewSet):
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(
                pk__in=usable_collection_members(get_document_model(), self.request.user).values(
                    "pk"
                )
            )
        )


def visible_ids(model, user, ids):
    """The ids among `ids` that `user` may know exist, for a bulk action on `model`."""
    if user.is_superuser:
        return ids
    if model in (get_image_model(), get_document_model()):
        visible = usable_collection_members(model, user)
    elif issubclass(model, Page):
        visible = policy_registry.get_by_type(Page).explorable_instances(user)
    else:
        # Anything else has no per-structure rule here: nothing is shown (fail closed).
        return []
    numeric = [value for value in ids if value.isascii() and value.isdigit()]
    return [str(pk) for pk in visible.filter(pk__in=numeric).values_list("pk", flat=True)]


def scoped_bulk_action(request, app_label, model_name, action):
    """Wagtail's bulk-action page with the ids the user may not see removed first, so its
    "you cannot act on these" list never names another structure's page or file."""
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError as exc:
        raise Http404 from exc
    ids = request.GET.getlist("id")
    if ids and "all" not in ids:
        query = request.GET.copy()
        query.setlist("id", visible_ids(model, request.user, ids))
        if not query.getlist("id"):
            raise Http404
        request.GET = query
        request.META["QUERY_STRING"] = query.urlencode()
    return wagtail_bulk_action(request, app_label, model_name, action)
