"""Wagtail admin of the family files: the "Dossiers famille" menu.

Queues and files (custom views in `admin_views`) and the structure's configuration
(document requirements per season, rules versions, settings, quotients) as scoped model
viewsets. Everything is seen only within the staff member's structures.
"""

from django.utils.translation import gettext_lazy as _

from wagtail.admin.viewsets.base import ViewSetGroup

from core.admin import AdminPagesViewSet, ScopedCreateView, ScopedModelViewSet, admin_page
from parents.models import Structure

from . import admin_views, services
from .admin_forms import (
    DocumentRequirementForm,
    FamilyFileSettingsForm,
    FamilyQuotientForm,
    RulesVersionForm,
)
from .models import DocumentRequirement, FamilyFileSettings, FamilyQuotient, RulesVersion


class FamilyFilesViewSet(AdminPagesViewSet):
    name = "family_files"
    url_prefix = "dossiers"
    icon = "folder-open-inverse"
    menu_label = _("Family files")
    menu_order = 10
    menu_permission = admin_views.FILES_PERMISSION
    pages = [
        admin_page("", "index", admin_views.FamilyFileIndexView, detail="family"),
        admin_page(
            "famille/<int:pk>/",
            "family",
            admin_views.FamilyFileDetailView,
            health="health",
            pdf="health_pdf",
            document="family_file_documents:file",
            index="index",
            guardian_address="guardian_address",
        ),
        admin_page(
            "responsable/<int:guardian_id>/adresse/",
            "guardian_address",
            admin_views.GuardianAddressView,
            family="family",
        ),
        admin_page(
            "enfant/<int:child_id>/fiche-sanitaire/",
            "health",
            admin_views.HealthSheetAdminView,
            pdf="health_pdf",
            family="family",
        ),
        admin_page(
            "enfant/<int:child_id>/fiche-sanitaire.pdf",
            "health_pdf",
            admin_views.HealthSheetPdfView,
        ),
        admin_page("enfant/<int:child_id>/pai/", "pai", admin_views.PaiDocumentAdminView),
    ]


class ChangesViewSet(AdminPagesViewSet):
    name = "family_file_changes"
    url_prefix = "dossiers/modifications"
    icon = "edit"
    menu_label = _("Changes to validate")
    menu_order = 20
    menu_permission = admin_views.CHANGES_PERMISSION
    pages = [
        admin_page("", "index", admin_views.ChangeIndexView, review="review"),
        admin_page("<int:pk>/", "review", admin_views.ChangeReviewView, index="index"),
    ]


class DocumentsViewSet(AdminPagesViewSet):
    name = "family_file_documents"
    url_prefix = "dossiers/pieces"
    icon = "doc-full"
    menu_label = _("Documents to check")
    menu_order = 30
    menu_permission = admin_views.DOCUMENTS_PERMISSION
    pages = [
        admin_page("", "index", admin_views.DocumentIndexView, review="review"),
        admin_page(
            "<int:pk>/", "review", admin_views.DocumentReviewView, index="index", file="file"
        ),
        admin_page("<int:pk>/fichier/", "file", admin_views.DocumentFileAdminView),
    ]


class DocumentRequirementViewSet(ScopedModelViewSet):
    model = DocumentRequirement
    name = "family_file_requirements"
    url_prefix = "dossiers/pieces-demandees"
    icon = "list-ul"
    menu_label = _("Requested documents")
    menu_order = 40
    form_class = DocumentRequirementForm
    list_display = ["name", "structure", "season", "kind", "per_child", "required"]


class RulesVersionViewSet(ScopedModelViewSet):
    model = RulesVersion
    name = "family_file_rules"
    url_prefix = "dossiers/reglements"
    icon = "doc-empty"
    menu_label = _("Rules versions")
    menu_order = 50
    form_class = RulesVersionForm
    list_display = ["version", "structure", "published_at"]


class FamilyFileSettingsViewSet(ScopedModelViewSet):
    model = FamilyFileSettings
    name = "family_file_settings"
    url_prefix = "dossiers/reglages"
    icon = "cog"
    menu_label = _("Family file settings")
    menu_order = 60
    form_class = FamilyFileSettingsForm
    list_display = ["structure", "bookings_need_complete_file"]

    def scope(self, user):
        return FamilyFileSettings.objects.filter(structure__in=Structure.objects.for_staff(user))


class QuotientCreateView(ScopedCreateView):
    """A quotient entered by hand goes through the same service as an accepted letter."""

    def save_instance(self):
        data = self.form.cleaned_data
        return services.record_quotient(
            data["family"],
            data["quotient"],
            data["effective_date"],
            by=self.request.user,
            note=data.get("note", ""),
        )


class FamilyQuotientViewSet(ScopedModelViewSet):
    model = FamilyQuotient
    name = "family_file_quotients"
    url_prefix = "dossiers/quotients"
    icon = "user"
    menu_label = _("Family quotients")
    menu_order = 70
    form_class = FamilyQuotientForm
    add_view_class = QuotientCreateView
    list_display = ["family", "quotient", "effective_date", "document", "recorded_at"]
    search_fields = ["family__name", "family__reference"]

    def scope(self, user):
        return FamilyQuotient.objects.for_staff(user).select_related("family", "document")


class FamilyFileViewSetGroup(ViewSetGroup):
    menu_label = _("Family files")
    menu_icon = "folder-open-inverse"
    menu_order = 220
    items = (
        FamilyFilesViewSet,
        ChangesViewSet,
        DocumentsViewSet,
        DocumentRequirementViewSet,
        RulesVersionViewSet,
        FamilyFileSettingsViewSet,
        FamilyQuotientViewSet,
    )
