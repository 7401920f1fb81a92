"""Wagtail admin for structures, families, guardians and children ("Familles" menu).

A director sees and edits only what belongs to the structures they are attached to
(`User.structures`); superusers see everything. The rule is applied twice: to every object
a view looks up (see `admin_views`), and to the choices a form offers, so that neither a
typed URL nor a forged POST reaches another structure.
"""

from django.db.models import Q
from django.urls import path
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.permissions import policy_registry

from core.admin import ScopedModelViewSet, StaffChoiceFilter

from . import admin_views
from .choosers import FamilyChooserFilter, use_family_chooser
from .models import Child, Family, Guardian, Structure


class ScopedModelForm(WagtailAdminModelForm):
    """Offers only the structures and families the editing user may see.

    A value outside those choices is an invalid choice, so a forged POST is refused by the
    form itself. Without a user the choices are empty: the form fails closed.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if "structure" in self.fields:
            structures = Structure.objects.for_staff(user) if user else Structure.objects.none()
            self.fields["structure"].queryset = structures
            if not self.instance.pk and len(structures) == 1:
                self.fields["structure"].initial = structures[0]
        if "family" in self.fields:
            families = Family.objects.for_staff(user) if user else Family.objects.none()
            use_family_chooser(self.fields["family"], families.select_related("structure"))
        self._scope_collection_members(user)

    def _scope_collection_members(self, user):
        """Image and document choices (a structure's signature, its logo): only those of the
        collections the user may choose from, and the value already saved."""
        media_models = (get_image_model(), get_document_model())
        for name, field in self.fields.items():
            queryset = getattr(field, "queryset", None)
            if queryset is None or queryset.model not in media_models:
                continue
            if user is None:
                field.queryset = queryset.none()
                continue
            policy = policy_registry.get_by_type(queryset.model)
            usable = policy.instances_user_has_permission_for(user, "choose")
            current = getattr(self.instance, f"{name}_id", None)
            field.queryset = queryset.filter(Q(pk__in=usable.values("pk")) | Q(pk=current))


class StructureForm(ScopedModelForm):
    # The association, the slug used in addresses and the logo (chosen from the image
    # library, which directors cannot browse) stay with superusers.
    # Numbering series and the VAT mention are accounting settings: changing them in the
    # middle of a year would break the continuity an accountant relies on.
    SUPERUSER_ONLY_FIELDS = (
        "association",
        "slug",
        "logo",
        "invoice_prefix",
        "invoice_suffix",
        "credit_note_prefix",
        "credit_note_suffix",
        "vat_mention",
    )

    class Meta:
        model = Structure
        exclude = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not (self.for_user and self.for_user.is_superuser):
            for name in self.SUPERUSER_ONLY_FIELDS:
                self.fields.pop(name, None)


class FamilyForm(ScopedModelForm):
    class Meta:
        model = Family
        fields = [
            "structure",
            "reference",
            "name",
            "address_line1",
            "address_line2",
            "postcode",
            "city",
        ]


class GuardianForm(ScopedModelForm):
    # No login field here: logins are created and changed only by the account services.
    class Meta:
        model = Guardian
        fields = ["family", "civility", "first_name", "last_name", "email", "phone"]


class ChildForm(ScopedModelForm):
    class Meta:
        model = Child
        fields = ["family", "first_name", "last_name", "birth_date"]


class StructureFilterSet(WagtailFilterSet):
    """Filters offering only the structures of the member of staff."""

    structure = StaffChoiceFilter(Structure, label=capfirst(_("structure")))


class FamilyFilterSet(StructureFilterSet):
    class Meta:
        model = Family
        fields = ["structure"]


class FamilyMemberFilterSet(WagtailFilterSet):
    """Filters guardians and children by their family's structure, or by family."""

    structure = StaffChoiceFilter(
        Structure, label=capfirst(_("structure")), field_name="family__structure"
    )
    family = FamilyChooserFilter()


class GuardianFilterSet(FamilyMemberFilterSet):
    class Meta:
        model = Guardian
        fields = ["structure", "family"]


class ChildFilterSet(FamilyMemberFilterSet):
    class Meta:
        model = Child
        fields = ["structure", "family"]


class StructureViewSet(ScopedModelViewSet):
    model = Structure
    name = "structures"
    add_item_label = _("Add a structure")
    new_item_label = _("New structure")
    icon = "site"
    menu_order = 100
    form_class = StructureForm
    list_display = ["name", "email", "phone"]
    search_fields = ["name"]


class FamilyViewSet(ScopedModelViewSet):
    model = Family
    name = "families"
    add_item_label = _("Add a family")
    new_item_label = _("New family")
    icon = "group"
    menu_order = 200
    form_class = FamilyForm
    index_view_class = admin_views.FamilyIndexView
    edit_template_name = "parents/admin/family_edit.html"
    inspect_template_name = "parents/admin/family_inspect.html"
    inspect_view_enabled = True
    inspect_view_fields = [
        "structure",
        "reference",
        "name",
        "address_line1",
        "address_line2",
        "postcode",
        "city",
        "created_at",
    ]
    list_display = [
        "name",
        "reference",
        "structure",
        Column("guardian_count", label=capfirst(_("guardians")), sort_key="guardian_count"),
    ]
    filterset_class = FamilyFilterSet
    search_fields = ["name", "reference"]


class GuardianViewSet(ScopedModelViewSet):
    model = Guardian
    name = "guardians"
    add_item_label = _("Add a guardian")
    new_item_label = _("New guardian")
    icon = "user"
    menu_order = 300
    form_class = GuardianForm
    index_view_class = admin_views.GuardianIndexView
    add_view_class = admin_views.GuardianCreateView
    edit_view_class = admin_views.GuardianEditView
    send_login_view_class = admin_views.SendLoginDetailsView
    edit_template_name = "parents/admin/guardian_edit.html"
    list_display = [
        "__str__",
        "family",
        "email",
        Column("user.username", label=capfirst(_("username"))),
        "invited_at",
    ]
    filterset_class = GuardianFilterSet
    search_fields = [
        "first_name",
        "last_name",
        "email",
        "family__name",
        "family__reference",
        "user__username",
    ]

    def scope(self, user):
        return Guardian.objects.filter(family__structure__in=Structure.objects.for_staff(user))

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            send_login_url_name=self.get_url_name("send_login"), **kwargs
        )

    @property
    def send_login_view(self):
        return self.construct_view(self.send_login_view_class)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("send-login/<int:pk>/", self.send_login_view, name="send_login"),
        ]


class ChildViewSet(ScopedModelViewSet):
    model = Child
    name = "children"
    add_item_label = _("Add a child")
    new_item_label = _("New child")
    icon = "user"
    menu_order = 400
    form_class = ChildForm
    index_view_class = admin_views.ChildIndexView
    add_view_class = admin_views.ChildCreateView
    list_display = ["__str__", "family", "birth_date"]
    filterset_class = ChildFilterSet
    search_fields = ["first_name", "last_name", "family__name", "family__reference"]

    def scope(self, user):
        return Child.objects.filter(family__structure__in=Structure.objects.for_staff(user))


class FamiliesViewSetGroup(ViewSetGroup):
    menu_label = _("Families")
    menu_icon = "group"
    menu_order = 150
    items = (StructureViewSet, FamilyViewSet, GuardianViewSet, ChildViewSet)
