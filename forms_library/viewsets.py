from django.utils.translation import gettext_lazy as _

from wagtail.admin.viewsets.model import ModelViewSet

from core.admin import ModelLabelsMixin

from .models import CollectionPrivacy


class CollectionPrivacyViewSet(ModelLabelsMixin, ModelViewSet):
    """Settings → "Collection privacy": which structure a collection belongs to and whether
    its documents are public. Model permissions apply, so only superusers get it by default."""

    model = CollectionPrivacy
    icon = "lock"
    add_item_label = _("Add a privacy rule")
    new_item_label = _("New privacy rule")
    menu_label = _("Collection privacy")
    add_to_settings_menu = True
    form_fields = ["collection", "structure", "visibility"]
    list_display = ["collection", "structure", "visibility"]
    list_filter = ["visibility", "structure"]
    copy_view_enabled = False
