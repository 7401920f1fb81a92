"""Wagtail admin of the family files: the "Dossiers famille" menu.

Queues and files (custom views in `admin_views`) and the structure's configuration
(document requirements per season, rules versions, settings, quotients) as scoped model
viewsets. Everything is seen only within the staff member's structures.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup

from parents.admin_views import ScopedCreateView
from parents.models import Structure
from parents.viewsets import StaffScopedViewSet

from . import admin_views, services
from .admin_forms import (
    DocumentRequirementForm,
    FamilyFileSettingsForm,
    FamilyQuotientForm,
    RulesVersionForm,
)
from .models import DocumentRequirement, FamilyFileSettings, FamilyQuotient, RulesVersion


def permission_menu_item(permission):
    class PermissionMenuItem(MenuItem):
        def is_shown(self, request):
            return request.user.has_perm(permission)

    return PermissionMenuItem


class FamilyFilesViewSet(ViewSet):
    name = "family_files"
    url_prefix = "dossiers"
    icon = "folder-open-inverse"
    menu_label = _("Family files")
    menu_order = 10
    menu_item_class = permission_menu_item(admin_views.FILES_PERMISSION)

    def get_urlpatterns(self):
        return [
            path(
                "",
                self.construct_view(
                    admin_views.FamilyFileIndexView, detail_url_name=self.get_url_name("family")
                ),
                name="index",
            ),
            path(
                "famille/<int:pk>/",
                self.construct_view(
                    admin_views.FamilyFileDetailView,
                    health_url_name=self.get_url_name("health"),
                    pdf_url_name=self.get_url_name("health_pdf"),
                    document_url_name="family_file_documents:file",
                    index_url_name=self.get_url_name("index"),
                    guardian_address_url_name=self.get_url_name("guardian_address"),
                ),
                name="family",
            ),
            path(
                "responsable/<int:guardian_id>/adresse/",
                self.construct_view(
                    admin_views.GuardianAddressView, family_url_name=self.get_url_name("family")
                ),
                name="guardian_address",
            ),
            path(
                "enfant/<int:child_id>/fiche-sanitaire/",
                self.construct_view(
                    admin_views.HealthSheetAdminView,
                    pdf_url_name=self.get_url_name("health_pdf"),
                    family_url_name=self.get_url_name("family"),
                ),
                name="health",
            ),
            path(
                "enfant/<int:child_id>/fiche-sanitaire.pdf",
                admin_views.HealthSheetPdfView.as_view(),
                name="health_pdf",
            ),
            path(
                "enfant/<int:child_id>/pai/",
                admin_views.PaiDocumentAdminView.as_view(),
                name="pai",
            ),
        ]


class ChangesViewSet(ViewSet):
    name = "family_file_changes"
    url_prefix = "dossiers/modifications"
    icon = "edit"
    menu_label = _("Changes to validate")
    menu_order = 20
    menu_item_class = permission_menu_item(admin_views.CHANGES_PERMISSION)

    def get_urlpatterns(self):
        return [
            path(
                "",
                self.construct_view(
                    admin_views.ChangeIndexView, review_url_name=self.get_url_name("review")
                ),
                name="index",
            ),
            path(
                "<int:pk>/",
                self.construct_view(
                    admin_views.ChangeReviewView, index_url_name=self.get_url_name("index")
                ),
                name="review",
            ),
        ]


class DocumentsViewSet(ViewSet):
    name = "family_file_documents"
    url_prefix = "dossiers/pieces"
    icon = "doc-full"
    menu_label = _("Documents to check")
    menu_order = 30
    menu_item_class = permission_menu_item(admin_views.DOCUMENTS_PERMISSION)

    def get_urlpatterns(self):
        return [
            path(
                "",
                self.construct_view(
                    admin_views.DocumentIndexView, review_url_name=self.get_url_name("review")
                ),
                name="index",
            ),
            path(
                "<int:pk>/",
                self.construct_view(
                    admin_views.DocumentReviewView,
                    index_url_name=self.get_url_name("index"),
                    file_url_name=self.get_url_name("file"),
                ),
                name="review",
            ),
            path(
                "<int:pk>/fichier/",
                admin_views.DocumentFileAdminView.as_view(),
                name="file",
            ),
        ]


class DocumentRequirementViewSet(StaffScopedViewSet):
    model = DocumentRequirement
    name = "family_file_requirements"
    url_prefix = "dossiers/pieces-demandees"
    icon = "list-ul"
    menu_label = _("Requested documents")
    menu_order = 40
    form_class = DocumentRequirementForm
    list_display = ["name", "structure", "season", "kind", "per_child", "required"]

    def scope(self, user):
        return DocumentRequirement.objects.for_staff(user)


class RulesVersionViewSet(StaffScopedViewSet):
    model = RulesVersion
    name = "family_file_rules"
    url_prefix = "dossiers/reglements"
    icon = "doc-empty"
    menu_label = _("Rules versions")
    menu_order = 50
    form_class = RulesVersionForm
    list_display = ["version", "structure", "published_at"]

    def scope(self, user):
        return RulesVersion.objects.for_staff(user)


class FamilyFileSettingsViewSet(StaffScopedViewSet):
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


class FamilyQuotientViewSet(StaffScopedViewSet):
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
