"""Admin building blocks shared by the apps' viewsets."""

from django.db.models import Q
from django.urls import path
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from wagtail.admin.menu import MenuItem
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.components import Component
from wagtail.admin.viewsets.base import ViewSet


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


class SearchableIndexViewSet(ViewSet):
    """A plain viewset whose entry page is a searchable list: the page itself and the
    results fragment Wagtail's search box reloads, built from one index view class.
    """

    index_view_class = None

    def get_index_kwargs(self):
        """URL names the list needs; subclasses add the pages it links to."""
        return {
            "index_url_name": self.get_url_name("index"),
            "index_results_url_name": self.get_url_name("index_results"),
        }

    def get_index_urlpatterns(self):
        kwargs = self.get_index_kwargs()
        return [
            path("", self.construct_view(self.index_view_class, **kwargs), name="index"),
            path(
                "results/",
                self.construct_view(self.index_view_class, results_only=True, **kwargs),
                name="index_results",
            ),
        ]


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
