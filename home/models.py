from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.api import APIField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from parents.models import Structure

from .blocks import HelpStreamBlock

NEWS_LENGTH = 5


def latest_documents(structure=None, limit=NEWS_LENGTH):
    """News of published programmes, from whichever app publishes documents (a Wagtail hook,
    so that this app does not depend on the library)."""
    entries = []
    for fn in hooks.get_hooks("list_latest_documents"):
        entries.extend(fn(structure=structure, limit=limit))
    return entries[:limit]


class AccessibilityCompliance(models.TextChoices):
    """The compliance levels the French accessibility framework (RGAA) lets a site declare."""

    NONE = "none", _("not compliant")
    PARTIAL = "partial", _("partially compliant")
    FULL = "full", _("fully compliant")


class HomePage(Page):
    """The public home page: the association, its structures, the latest documents published
    for families, and the way into the family area. The root of the site; one only."""

    introduction = RichTextField(_("introduction"), blank=True)
    accessibility_compliance = models.CharField(
        _("accessibility compliance"),
        max_length=10,
        choices=AccessibilityCompliance.choices,
        default=AccessibilityCompliance.PARTIAL,
        help_text=_("As stated in the accessibility statement; shown at the foot of pages."),
    )
    accessibility_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("accessibility statement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        MultiFieldPanel(
            [
                FieldPanel("accessibility_compliance"),
                PageChooserPanel("accessibility_page", "home.HelpPage"),
            ],
            heading=_("Accessibility"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]
    api_fields = [
        APIField("introduction"),
        APIField("structures"),
        APIField("accessibility_compliance"),
    ]

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["home.StructureHomePage", "home.HelpPage", "forms_library.FormsLibraryPage"]

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")

    @property
    def structures(self):
        """Every structure of the site, with the address of its page when it has a live one."""
        pages = {
            page.structure_id: page
            for page in StructureHomePage.objects.live().public().child_of(self)
        }
        return [
            {
                "name": structure.name,
                "association": str(structure.association),
                "url": pages[structure.pk].url if structure.pk in pages else None,
            }
            for structure in Structure.objects.select_related("association")
        ]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(
            structure_links=self.structures,
            news=latest_documents(),
            other_pages=self.get_children().live().public().not_type(StructureHomePage).specific(),
        )
        return context


class StructureHomePage(Page):
    """The home page of one structure (a commune's leisure centre): who to contact, its
    library and help pages below it, and the news of its documents and the association's.

    Communication staff given this structure edit and publish this page and its subtree.
    """

    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="home_pages",
    )
    introduction = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("structure"), FieldPanel("introduction")]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]
    api_fields = [APIField("introduction"), APIField("contact")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["forms_library.FormsLibraryPage", "home.HelpPage"]

    class Meta:
        verbose_name = _("structure home page")
        verbose_name_plural = _("structure home pages")

    def clean(self):
        super().clean()
        if self.alias_of_id is None and self.structure_id:
            others = StructureHomePage.objects.filter(
                structure_id=self.structure_id, alias_of__isnull=True
            ).exclude(pk=self.pk)
            if others.exists():
                raise ValidationError({"structure": _("This structure already has its home page.")})

    @property
    def contact(self):
        structure = self.structure
        return {
            "name": structure.name,
            "address": structure.address,
            "email": structure.email,
            "phone": structure.phone,
        }

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(
            news=latest_documents(structure=self.structure),
            other_pages=self.get_children().live().public().specific(),
        )
        return context


class HelpPage(RoutablePageMixin, Page):
    """Help content: the user manual, its FAQ, practical information, the accessibility
    statement. Its body is made of blocks; "pdf/" below the page gives it as a PDF file."""

    introduction = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(HelpStreamBlock(), verbose_name=_("body"), blank=True)
    offer_pdf = models.BooleanField(
        _("offer a PDF version"),
        default=True,
        help_text=_("Shows “Cliquer ici pour ouvrir en format PDF” on the page."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        FieldPanel("body"),
        FieldPanel("offer_pdf"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]
    api_fields = [APIField("introduction"), APIField("body"), APIField("pdf_url")]

    parent_page_types = ["home.HomePage", "home.StructureHomePage", "home.HelpPage"]
    subpage_types = ["home.HelpPage"]

    class Meta:
        verbose_name = _("help page")
        verbose_name_plural = _("help pages")

    @property
    def pdf_url(self):
        if not self.offer_pdf or not self.url:
            return None
        return self.url + self.reverse_subpage("pdf")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["pdf_url"] = self.pdf_url
        return context

    @path("pdf/", name="pdf")
    def pdf(self, request):
        """The page as a tagged PDF, rendered once per published version."""
        if not self.offer_pdf:
            raise Http404
        from core.pdf import render_pdf

        key = f"home:help-pdf:{self.pk}:{self.live_revision_id}"
        data = cache.get(key)
        if data is None:
            data = render_pdf("home/pdf/help_page.html", {"page": self})
            cache.set(key, data, timeout=24 * 60 * 60)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{self.slug}.pdf"'
        return response
