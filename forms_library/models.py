from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.api import APIField
from wagtail.api.utils import get_full_url
from wagtail.fields import RichTextField
from wagtail.models import Collection, CollectionViewRestriction, Orderable, Page
from wagtail.search import index

from modelcluster.fields import ParentalKey
from rest_framework import serializers

from parents.models import Structure


class LibraryEntriesField(serializers.Field):
    """The library's entries in the API, with absolute download addresses."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, entries):
        request = self.context.get("request")
        return [entry.as_api_dict(request) for entry in entries]


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public")
    FAMILIES = "families", _("logged-in families of the structure")
    # Signatures, scans for the office: never shown to families, only to the structure's staff.
    STAFF = "staff", _("staff of the structure only")


# Marks collections under a Wagtail CollectionViewRestriction in `effective_rules`.
RESTRICTED = "restricted"


class CollectionPrivacyQuerySet(models.QuerySet):
    def rule_for(self, collection):
        """The rule that governs `collection`: its own, else its nearest ancestor's, else None.

        None means public, as for any Wagtail collection nobody has restricted.
        """
        step = Collection.steplen
        paths = [collection.path[:end] for end in range(step, len(collection.path) + 1, step)]
        return (
            self.filter(collection__path__in=paths)
            .select_related("collection", "structure")
            .order_by("-collection__depth")
            .first()
        )

    def effective_rules(self):
        """{collection id: (visibility, structure id)} for the whole tree, in three queries.

        Collections under a Wagtail view restriction (password, groups) count as "restricted",
        which no family and no anonymous visitor passes here.
        """
        rules = {
            path: (visibility, structure_id)
            for path, visibility, structure_id in self.values_list(
                "collection__path", "visibility", "structure_id"
            )
        }
        for path in CollectionViewRestriction.objects.values_list("collection__path", flat=True):
            rules[path] = (RESTRICTED, None)
        step = Collection.steplen
        effective = {}
        for collection_id, path in Collection.objects.values_list("id", "path"):
            effective[collection_id] = (Visibility.PUBLIC, None)
            for end in range(len(path), 0, -step):
                if path[:end] in rules:
                    effective[collection_id] = rules[path[:end]]
                    break
        return effective

    def public_collection_ids(self):
        """Ids of the collections anyone may read (the public site, search and API)."""
        return {
            collection_id
            for collection_id, (visibility, _structure) in self.effective_rules().items()
            if visibility == Visibility.PUBLIC
        }

    def family_collection_ids(self, structure):
        """Ids of the collections a logged-in family of `structure` may read."""
        return {
            collection_id
            for collection_id, (visibility, structure_id) in self.effective_rules().items()
            if visibility == Visibility.PUBLIC
            or (visibility == Visibility.FAMILIES and structure_id in (None, structure.pk))
        }


class CollectionPrivacy(models.Model):
    """Who may download the documents of a Wagtail collection.

    A collection belongs to one structure, or to the whole association when `structure` is
    empty, and is either public or restricted to logged-in families of that structure (all
    families for an association-wide collection). Sub-collections without a rule of their own
    inherit their parent's. Restricted documents are only ever sent by the document serve view,
    after the check in `forms_library.wagtail_hooks`.
    """

    collection = models.OneToOneField(
        Collection,
        verbose_name=_("collection"),
        on_delete=models.CASCADE,
        related_name="privacy",
    )
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collection_rules",
        help_text=_("Leave empty for documents of the whole association."),
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )

    objects = CollectionPrivacyQuerySet.as_manager()

    class Meta:
        verbose_name = _("collection privacy")
        verbose_name_plural = _("collection privacy")
        ordering = ["collection__path"]

    def __str__(self):
        return f"{self.collection.name} — {self.get_visibility_display()}"

    @property
    def is_public(self):
        return self.visibility == Visibility.PUBLIC

    def admits_family_of(self, structure):
        if self.visibility == Visibility.STAFF:
            return False
        return self.structure_id is None or self.structure_id == structure.pk


class Category(models.TextChoices):
    """The library's sections, in the order they are shown."""

    PROGRAMMES = "programmes", _("Programmes")
    RULES = "rules", _("Rules")
    REGISTRATION = "registration", _("Registration forms")
    OTHER = "other", _("Other documents")


class FormsLibraryPage(Page):
    """An "Imprimés" page: the documents a structure (or the association) offers to families.

    Its structure is the one of the structure home page it sits under, and empty (the
    association-wide library) directly under the association's home page. Families see their
    structure's library plus the association-wide one; this page, being public, lists only
    the documents anyone may read.
    """

    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="forms_libraries",
    )
    introduction = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        InlinePanel("entries", heading=_("documents"), label=_("document")),
    ]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]
    api_fields = [
        APIField("introduction"),
        APIField("structure_name"),
        APIField("documents", serializer=LibraryEntriesField()),
    ]

    parent_page_types = ["home.HomePage", "home.StructureHomePage"]
    subpage_types = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("printed forms library")
        verbose_name_plural = _("printed forms libraries")

    def save(self, *args, **kwargs):
        # The structure follows the page's place in the tree, so it cannot disagree with it.
        if self.path:
            self.structure_id = structure_id_of_parent(self)
        return super().save(*args, **kwargs)

    @property
    def structure_name(self):
        return self.structure.name if self.structure_id else None

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        public = CollectionPrivacy.objects.public_collection_ids()
        context["sections"] = library_sections(
            self.entries.all(), lambda document: document.collection_id in public
        )
        return context

    @property
    def documents(self):
        """The entries shown today whose document is public: what the API may publish."""
        public = CollectionPrivacy.objects.public_collection_ids()
        return [
            entry
            for section in library_sections(
                self.entries.all(), lambda document: document.collection_id in public
            )
            for entry in section["entries"]
        ]


def structure_id_of_parent(page):
    parent = page.get_parent()
    return getattr(parent.specific, "structure_id", None) if parent else None


class FormsLibraryEntryQuerySet(models.QuerySet):
    def shown_on(self, day):
        return self.filter(
            models.Q(shown_from__isnull=True) | models.Q(shown_from__lte=day),
            models.Q(shown_until__isnull=True) | models.Q(shown_until__gte=day),
        )

    def latest_public(self, structure=None, limit=5):
        """The newest entries anyone may open, from live public libraries: the news of the
        association's home page, or of a structure's (its library and the association's)."""
        libraries = FormsLibraryPage.objects.live().public()
        if structure is not None:
            libraries = libraries.filter(
                models.Q(structure=structure) | models.Q(structure__isnull=True)
            )
        entries = (
            self.filter(page__in=libraries)
            .shown_on(timezone.localdate())
            .filter(document__collection_id__in=CollectionPrivacy.objects.public_collection_ids())
            .select_related("document", "page")
        )
        newest = sorted(
            entries,
            key=lambda entry: (entry.published_on, entry.document.created_at),
            reverse=True,
        )
        return newest[:limit]


class FormsLibraryEntry(Orderable):
    """One line of the library: a label, the document it opens, its section and dates.

    The publication window is in days of the association's time zone (Europe/Paris), both
    ends included.
    """

    page = ParentalKey(FormsLibraryPage, on_delete=models.CASCADE, related_name="entries")
    label = models.CharField(
        _("label"), max_length=255, help_text=_("E.g. Programme vacances Avril 2012")
    )
    document = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("document"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.PROGRAMMES
    )
    shown_from = models.DateField(
        _("shown from"), null=True, blank=True, help_text=_("Empty: shown from now on.")
    )
    shown_until = models.DateField(
        _("shown until"), null=True, blank=True, help_text=_("Empty: shown until removed.")
    )

    objects = FormsLibraryEntryQuerySet.as_manager()

    panels = [
        FieldPanel("label"),
        FieldPanel("document"),
        FieldPanel("category"),
        FieldRowPanel([FieldPanel("shown_from"), FieldPanel("shown_until")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("library document")
        verbose_name_plural = _("library documents")

    def __str__(self):
        return self.label

    def clean(self):
        if self.shown_from and self.shown_until and self.shown_until < self.shown_from:
            raise ValidationError(
                {"shown_until": _("The end of the publication is before its start.")}
            )

    def is_shown_on(self, day):
        return (self.shown_from is None or self.shown_from <= day) and (
            self.shown_until is None or day <= self.shown_until
        )

    @property
    def published_on(self):
        """The date the entry counts as published: its start, else the document's upload."""
        return self.shown_from or timezone.localdate(self.document.created_at)

    def as_api_dict(self, request=None):
        return {
            "label": self.label,
            "category": self.category,
            "category_label": str(self.get_category_display()),
            "published_on": self.published_on.isoformat(),
            "document": {
                "id": self.document_id,
                "title": self.document.title,
                "filename": self.document.filename,
                "download_url": get_full_url(request, self.document.url),
            },
        }


def library_sections(entries, readable, day=None):
    """Entries shown on `day` (today in Europe/Paris) whose document passes `readable`,
    grouped by category in the categories' order, newest first within each."""
    day = day or timezone.localdate()
    shown = [
        entry
        for entry in entries
        if entry.document_id and entry.is_shown_on(day) and readable(entry.document)
    ]
    shown.sort(key=lambda entry: (entry.published_on, entry.document.created_at), reverse=True)
    return [
        {
            "category": value,
            "label": label,
            "entries": [entry for entry in shown if entry.category == value],
        }
        for value, label in Category.choices
        if any(entry.category == value for entry in shown)
    ]


class Access(models.TextChoices):
    """The answer of `document_access`, which the serve view turns into a response."""

    ALLOWED = "allowed"
    LOGIN_REQUIRED = "login"
    SECOND_FACTOR_REQUIRED = "otp"
    DENIED = "denied"


def document_access(user, document, rule=None):
    """May `user` download `document`? Public collections: anyone. Restricted ones: families
    of the collection's structure (any family for an association-wide collection), and staff
    whose Wagtail collection permissions cover the document, once their second factor is
    verified. Everybody else is denied, and must not learn more than a 404 would tell them.
    """
    rule = rule or CollectionPrivacy.objects.rule_for(document.collection)
    if rule is None or rule.is_public:
        return Access.ALLOWED
    if not user.is_authenticated:
        return Access.LOGIN_REQUIRED
    guardian = user.guardian_or_none
    if guardian is not None:
        allowed = rule.admits_family_of(guardian.family.structure)
        return Access.ALLOWED if allowed else Access.DENIED
    from wagtail.permissions import policy_registry

    policy = policy_registry.get_by_type(type(document))
    if policy.user_has_any_permission_for_instance(user, ["change", "choose"], document):
        verified = getattr(user, "is_verified", lambda: False)()
        return Access.ALLOWED if verified else Access.SECOND_FACTOR_REQUIRED
    return Access.DENIED
