"""The family chooser of the admin: a search in a modal instead of a list of every family.

At 100,000 families a `<select>` offering each of them weighed megabytes on every page that
filters by family. The chooser lists a page of the director's own families at a time,
searched by name or reference, and its views, like every other admin view, only ever reach
the families of the structures of the member of staff.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.widgets import BaseChooser

import django_filters

from .models import Family


def staff_families(user):
    return Family.objects.for_staff(user).select_related("structure")


class FamilyPermissionMixin:
    """Only staff who may see families choose among them (not, say, communication staff)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("parents.view_family"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class FamilySearchForm(BaseFilterForm):
    q = forms.CharField(
        label=_("Search term"),
        widget=forms.TextInput(attrs={"placeholder": _("Name or reference")}),
        required=False,
    )

    def filter(self, objects):
        objects = super().filter(objects)
        query = self.cleaned_data.get("q", "").strip()
        if query:
            self.is_searching = True
            self.search_query = query
            objects = objects.filter(Q(name__icontains=query) | Q(reference__istartswith=query))
        return objects


class ScopedChooseMixin(FamilyPermissionMixin):
    filter_form_class = FamilySearchForm
    ordering = ["name", "reference", "pk"]

    def get_object_list(self):
        return staff_families(self.request.user)


class FamilyChooseView(ScopedChooseMixin, chooser_views.ChooseView):
    pass


class FamilyChooseResultsView(ScopedChooseMixin, chooser_views.ChooseResultsView):
    pass


class FamilyChosenView(FamilyPermissionMixin, chooser_views.ChosenView):
    def get_object(self, pk):
        return get_object_or_404(staff_families(self.request.user), pk=pk)


class FamilyChosenMultipleView(FamilyPermissionMixin, chooser_views.ChosenMultipleView):
    def get_objects(self, pks):
        return staff_families(self.request.user).filter(pk__in=pks)


class ScopedFamilyChooserWidget(BaseChooser):
    """The chooser widget, showing a chosen family only if it is in `queryset` (set per
    request by the filter set): a typed `?family=` of another structure shows nothing."""

    queryset = Family.objects.none()

    def get_instance(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, Family):
            value = value.pk
        try:
            return self.queryset.get(pk=value)
        except (Family.DoesNotExist, ValueError, TypeError):
            return None

    def get_value_data_from_instance(self, instance):
        # No edit link: the title is enough in a filter, and it spares a URL lookup.
        return {"id": instance.pk, "edit_url": "", self.display_title_key: str(instance)}


class FamilyChooserViewSet(ChooserViewSet):
    model = Family
    icon = "group"
    choose_one_text = _("Choose a family")
    choose_another_text = _("Choose another family")
    page_title = _("Choose a family")
    per_page = 20
    base_widget_class = ScopedFamilyChooserWidget
    choose_view_class = FamilyChooseView
    choose_results_view_class = FamilyChooseResultsView
    chosen_view_class = FamilyChosenView
    chosen_multiple_view_class = FamilyChosenMultipleView
    # Forms keep their own (scoped) family fields; only the filters use this widget.
    register_widget = False
    creation_form_class = None


family_chooser_viewset = FamilyChooserViewSet("family_chooser", url_prefix="familles/choisir")


def use_family_chooser(field, families):
    """A form's family field offering and accepting `families`, chosen through the family
    chooser (a search in a modal) rather than a `<select>` of each of them: megabytes and
    seconds for every form at 100,000 families."""
    field.queryset = families
    field.widget = family_chooser_viewset.widget_class()
    # The widget shows the chosen family only if it is one of these.
    field.widget.queryset = families


class FamilyChooserFilter(django_filters.ModelChoiceFilter):
    """A filter by family through the family chooser (a search in a modal): a `<select>` of
    every family weighed megabytes at 100,000 families. Offers and accepts only the families
    of the member of staff's structures."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", lambda request: staff_families(request.user))
        kwargs.setdefault("label", capfirst(_("family")))
        kwargs.setdefault("widget", family_chooser_viewset.widget_class())
        super().__init__(*args, **kwargs)

    @property
    def field(self):
        field = super().field
        # The widget shows the chosen family only if it is one of these.
        field.widget.queryset = field.queryset
        return field
