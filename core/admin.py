"""Admin building blocks shared by the apps' viewsets.

- Scoping: `ScopedModelViewSet` and its `Scoped*View`s show a member of staff only
  `scope(user)`, by default the model manager's `for_staff(user)`.
- Custom pages: `AdminPagesViewSet` routes the `AdminPage`s it declares and passes each view
  the URL names it links to; `PermissionRequiredMixin` and `SelectedStructureMixin` are the
  usual bases of those views.
- Listings: `StaffChoiceFilter`, `DateFromToFilter` and `AllChoiceFilter` for filter sets,
  `IndexedSearchMixin` and `CappedCountPaginator` for large lists.

Nothing here imports an app of ours: models come in as arguments or through the viewset.
"""

import dataclasses

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wagtail.admin.filters import DateRangePickerWidget
from wagtail.admin.menu import MenuItem
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.components import Component
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet

import django_filters


class NewItemTitleMixin:
    """For create views: titled `new_item_label` ("Nouvelle facture"), in the header and the
    breadcrumbs, instead of Wagtail's "Nouvel(le) : Facture"."""

    new_item_label = None

    def get_page_title(self):
        return self.new_item_label or super().get_page_title()

    def get_page_subtitle(self):
        return "" if self.new_item_label else super().get_page_subtitle()

    def get_breadcrumbs_items(self):
        items = super().get_breadcrumbs_items()
        if self.new_item_label and items:
            items[-1] = {**items[-1], "label": self.new_item_label}
        return items


class ModelLabelsMixin:
    """For model viewsets: the add button reads `add_item_label` ("Ajouter une facture") and
    the create page `new_item_label` ("Nouvelle facture"). Wagtail builds both from the
    model's name in one sentence for every model ("Ajouter un(e) facture"), which French
    gender and elision cannot share: each viewset names its own."""

    add_item_label = None
    new_item_label = None

    def get_index_view_kwargs(self, **kwargs):
        if self.add_item_label:
            kwargs.setdefault("add_item_label", self.add_item_label)
        return super().get_index_view_kwargs(**kwargs)

    @property
    def add_view(self):
        view_class = self.add_view_class
        if self.new_item_label:
            view_class = type(
                view_class.__name__,
                (NewItemTitleMixin, view_class),
                {"new_item_label": self.new_item_label},
            )
        return self.construct_view(view_class, **self.get_add_view_kwargs())


class HomePanel(Component):
    """A panel of the admin's home page: what waits for the member of staff in one list.

    `lines` are (structure name, text) pairs, one per structure of the member of staff with
    something to show; `url` opens the list where it is dealt with. Each app builds its own
    panels (its `dashboard.py`) and adds them from its `construct_homepage_panels` hook.
    """

    template_name = "components/admin_home_panel.html"

    def __init__(self, name, heading, lines, url, link_label, order=50, summary=""):
        self.name = name
        self.heading = heading
        self.lines = lines
        self.url = url
        self.link_label = link_label
        self.order = order
        self.summary = summary

    def get_context_data(self, parent_context=None):
        return {"panel": self}


def permission_menu_item(permission):
    """A menu item class shown only to users holding `permission` ("app_label.codename")."""

    class PermissionMenuItem(MenuItem):
        def is_shown(self, request):
            return request.user.has_perm(permission)

    return PermissionMenuItem


def search_across(queryset, query, fields, related=()):
    """`icontains` on the model's own `fields`, and on related models' fields through their
    keys (`family_id IN (SELECT id FROM family WHERE …)`), rather than OR-ing conditions over
    joined tables: each condition is then one table's, served by its trigram index
    (see the apps' trigram index migrations), instead of a scan of every joined row.

    `related` holds (key, model, fields) triples.
    """
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": query})
    for key, model, model_fields in related:
        matches = Q()
        for field in model_fields:
            matches |= Q(**{f"{field}__icontains": query})
        # The matching keys as a list, when there are few: PostgreSQL then ORs index scans
        # (a subquery in an OR is checked row by row instead).
        related_rows = model.objects.filter(matches).values("pk")
        keys = [row["pk"] for row in related_rows[: SEARCH_KEYS_LIMIT + 1]]
        condition |= Q(**{f"{key}__in": keys if len(keys) <= SEARCH_KEYS_LIMIT else related_rows})
    # A precise search matches a few rows. Found unordered (index scans), then listed by
    # key, they are sorted in no time; left to the listing's ORDER BY … LIMIT, PostgreSQL
    # may walk the whole date index expecting matches early (4 s on 2.5 M invoices).
    matches = queryset.filter(condition).order_by().values("pk")
    keys = [row["pk"] for row in matches[: SEARCH_KEYS_LIMIT + 1]]
    if len(keys) <= SEARCH_KEYS_LIMIT:
        return queryset.filter(pk__in=keys)
    return queryset.filter(condition)


SEARCH_KEYS_LIMIT = 500


class CappedCountPaginator(WagtailPaginator):
    """Counts the rows of a listing up to COUNT_LIMIT only.

    An exact count reads every row of the director's scope (2.5 million invoices) on each
    page; nobody pages that far, they search or filter. Past the limit the listing says
    "more than 10,000" and offers the first pages.
    """

    count_limit = 10_000
    count_is_capped = False

    @cached_property
    def count(self):
        rows = self.object_list
        if not hasattr(rows, "order_by"):  # a list, or search results
            return super().count
        # Any rows will do for counting: no ordering, no annotations, only the keys.
        counted = rows.order_by().values("pk")[: self.count_limit + 1].count()
        self.count_is_capped = counted > self.count_limit
        return min(counted, self.count_limit)

    @cached_property
    def items_count_label(self):
        if self.count and self.count_is_capped:
            return _("More than %(count)s %(items)s") % {
                "count": number_format(self.count, force_grouping=True),
                "items": self.verbose_name_plural,
            }
        return super().items_count_label


class IndexedSearchMixin:
    """For admin index views: `search_fields` searched through `search_across`, the fields
    of related models ("family__name") through their foreign key, so that each condition is
    served by one table's index."""

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        own, related = [], {}
        for field in self.search_fields or []:
            key, _sep, rest = field.partition("__")
            if rest:
                related.setdefault(key, []).append(rest)
            else:
                own.append(field)
        model = queryset.model
        triples = [
            (key, model._meta.get_field(key).related_model, fields)
            for key, fields in related.items()
        ]
        return search_across(queryset, self.search_query, own, triples)


# --- Scoped model admin ----------------------------------------------------------------------


class StaffScopedMixin:
    """Gives views `scope`, a callable (user) -> queryset set by the viewset."""

    scope = None

    def get_scoped_queryset(self):
        return self.scope(self.request.user)


class ScopedIndexView(IndexedSearchMixin, StaffScopedMixin, generic.IndexView):
    # Counting stops at 10,000 rows: an exact count reads every row of the scope.
    paginator_class = CappedCountPaginator

    def get_base_queryset(self):
        return self.get_scoped_queryset()


class ScopedCreateView(StaffScopedMixin, generic.CreateView):
    """Nothing to look up on creation: the form's choices carry the scope."""


class ScopedEditView(StaffScopedMixin, generic.EditView):
    def get_queryset(self):
        return self.get_scoped_queryset()


class ScopedDeleteView(StaffScopedMixin, generic.DeleteView):
    def get_queryset(self):
        return self.get_scoped_queryset()


class ScopedInspectView(StaffScopedMixin, generic.InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(self.get_scoped_queryset(), pk=unquote(str(self.pk)))


class ScopedHistoryView(StaffScopedMixin, HistoryView):
    def get_base_object_queryset(self):
        return self.get_scoped_queryset()


class ScopedUsageView(StaffScopedMixin, UsageView):
    def get_base_object_queryset(self):
        return self.get_scoped_queryset()


class ScopedModelViewSet(ModelLabelsMixin, ModelViewSet):
    """A ModelViewSet whose every view sees only `scope(user)`, and that can switch views off.

    Every view that reaches an object by its key does so through the scope, so another
    structure's object is a 404 whatever the URL typed. `disabled_views` are neither routed
    nor linked to (their URL names are None in every view): that is how a model gets no
    delete, or no edit at all. Copying is off: the copy view looks objects up without a
    queryset hook.
    """

    index_view_class = ScopedIndexView
    add_view_class = ScopedCreateView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    copy_view_enabled = False
    add_to_reference_index = False
    search_backend_name = None
    form_class = None
    disabled_views = ()

    def scope(self, user):
        """What `user` may see: the model's `objects.for_staff(user)` unless overridden."""
        return self.model.objects.for_staff(user)

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(scope=self.scope, **kwargs)
        for name in self.disabled_views:
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_form_class(self, for_update=False):
        return self.form_class

    def get_urlpatterns(self):
        return [
            pattern
            for pattern in super().get_urlpatterns()
            if pattern.name not in self.disabled_views
        ]


# --- Custom admin pages ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AdminPage:
    """One page of an `AdminPagesViewSet`.

    `links` name the pages the view links to, as {prefix: page name}: the view is given
    `<prefix>_url_name`, the viewset's URL name of that page, or the name itself when it
    holds a namespace ("payments:add"). `options` are passed to the view as they are.
    """

    route: str
    name: str
    view_class: type
    links: dict = dataclasses.field(default_factory=dict)
    options: dict = dataclasses.field(default_factory=dict)


def admin_page(route, name, view_class, **links):
    return AdminPage(route, name, view_class, links)


def searchable_index_pages(view_class, **links):
    """A list page and the results fragment Wagtail's search box reloads, from one view."""
    links = {"index": "index", "index_results": "index_results", **links}
    return [
        AdminPage("", "index", view_class, links),
        AdminPage("results/", "index_results", view_class, links, {"results_only": True}),
    ]


class AdminPagesViewSet(ViewSet):
    """A plain viewset of custom admin pages, declared as `pages` (`AdminPage`s).

    Its menu item is shown only to holders of `menu_permission` ("app_label.codename"),
    when set. A view with a `url_names` attribute receives the URL names of all the pages,
    as {page name: URL name}.
    """

    menu_permission = None
    pages = ()

    @cached_property
    def menu_item_class(self):
        if self.menu_permission:
            return permission_menu_item(self.menu_permission)
        return super().menu_item_class

    @cached_property
    def url_names(self):
        return {page.name: self.get_url_name(page.name) for page in self.pages}

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(url_names=self.url_names, **kwargs)

    def link_url_name(self, name):
        return name if ":" in name else self.get_url_name(name)

    def get_page_view(self, page):
        links = {
            f"{prefix}_url_name": self.link_url_name(name) for prefix, name in page.links.items()
        }
        return self.construct_view(page.view_class, **links, **page.options)

    def get_urlpatterns(self):
        return [path(page.route, self.get_page_view(page), name=page.name) for page in self.pages]


class PermissionRequiredMixin:
    """For custom admin pages: 403 unless the user holds `permission` ("app_label.codename")."""

    permission = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SelectedStructureMixin:
    """For pages about one structure at a time, among `structures()` (the user's own).

    `?structure=<pk>` (or the posted field) chooses it; one outside them is a 404, and
    without any the first is taken (None when the user runs no structure).
    """

    def structures(self):
        raise NotImplementedError

    @cached_property
    def structure(self):
        wanted = self.request.GET.get("structure") or self.request.POST.get("structure")
        if wanted:
            return get_object_or_404(self.structures(), pk=wanted if wanted.isdigit() else 0)
        return self.structures().first()


# --- Filters ---------------------------------------------------------------------------------


class StaffChoiceFilter(django_filters.ModelChoiceFilter):
    """A choice among the `model` objects the member of staff may see (`for_staff(user)`)."""

    def __init__(self, model, *, select_related=(), **kwargs):
        def choices(request):
            queryset = model.objects.for_staff(request.user)
            return queryset.select_related(*select_related) if select_related else queryset

        super().__init__(queryset=choices, **kwargs)


class DateFromToFilter(django_filters.DateFromToRangeFilter):
    """From one date to another, with Wagtail's date-range picker."""

    def __init__(self, **kwargs):
        super().__init__(widget=DateRangePickerWidget, **kwargs)


class AllChoiceFilter(django_filters.ChoiceFilter):
    """A choice among `choices`, or "All"."""

    def __init__(self, **kwargs):
        super().__init__(empty_label=gettext_lazy("All"), **kwargs)
