"""Directors' views of the family files: "Dossiers", the "Modifications à valider" and
"Pièces à vérifier" queues, and the health sheets (screen and PDF).

Scope: every family, child, change and document is looked up through the staff member's
structures (`for_staff`), so another structure's object answers 404 whatever the URL.
Each opening of a health sheet, on screen or as PDF, is logged for the family to see.
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.admin import CappedCountPaginator, PermissionRequiredMixin
from parents.models import Child, Family, Guardian

from . import health, services
from .admin_forms import (
    AcceptDocumentForm,
    DecisionMessageForm,
    GuardianAddressForm,
    RefuseDocumentForm,
)
from .models import FamilyQuotient, PendingChange, SheetConsultation, SupportingDocument
from .pdf import health_sheets_pdf

FILES_PERMISSION = "parents.view_family"
GUARDIAN_PERMISSION = "parents.change_guardian"
HEALTH_PERMISSION = "family_file.view_healthsheet"
CHANGES_PERMISSION = "family_file.change_pendingchange"
DOCUMENTS_PERMISSION = "family_file.change_supportingdocument"


class ToolView(PermissionRequiredMixin, WagtailAdminTemplateMixin, TemplateView):
    header_icon = "folder-open-inverse"


# --- "Dossiers" ------------------------------------------------------------------------------


class FamilyFileIndexView(ToolView):
    """Families of the staff member's structures, incomplete files first (or only)."""

    permission = FILES_PERMISSION
    template_name = "family_file/admin/index.html"
    page_title = gettext_lazy("Family files")
    detail_url_name = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        show_all = self.request.GET.get("all") == "1"
        query = self.request.GET.get("q", "").strip()
        families = Family.objects.for_staff(self.request.user)
        if query:
            families = families.filter(name__icontains=query) | families.filter(
                reference__icontains=query
            )
        if not show_all:
            # Found by the database, then paged: asking each family in turn took minutes
            # at 100,000 families.
            families = services.incomplete_files(families)
        pending = (
            PendingChange.objects.filter(family=OuterRef("pk"), status=PendingChange.Status.PENDING)
            .order_by()
            .values("family")
            .annotate(count=Count("pk"))
            .values("count")
        )
        families = (
            families.select_related("structure")
            .annotate(pending=Coalesce(Subquery(pending), 0))
            .order_by("name", "reference", "pk")
        )
        # Counted up to 10,000: nobody pages further, they search.
        page = CappedCountPaginator(families, 50).get_page(self.request.GET.get("p"))
        # What is missing, for the page's families only, read for all of them at once.
        families = list(page.object_list)
        missing = services.missing_items_by_family(families)
        page.object_list = [
            {
                "family": family,
                "missing": missing[family.pk],
                "pending": family.pending,
                "url": reverse(self.detail_url_name, args=(family.pk,)),
            }
            for family in families
        ]
        context.update(page=page, show_all=show_all, query=query)
        return context


class FamilyFileDetailView(ToolView):
    permission = FILES_PERMISSION
    template_name = "family_file/admin/family.html"
    health_url_name = None
    pdf_url_name = None
    document_url_name = None
    index_url_name = None
    guardian_address_url_name = None

    @cached_property
    def family(self):
        return get_object_or_404(
            Family.objects.for_staff(self.request.user).select_related("structure"),
            pk=self.kwargs["pk"],
        )

    def get_page_title(self):
        return _("Family file — %(family)s") % {"family": self.family}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        family = self.family
        rules = services.current_rules(family.structure)
        context.update(
            family=family,
            guardians=[(g, services.guardian_details(g)) for g in family.guardians.order_by("pk")],
            children=[
                {
                    "child": child,
                    "details": services.child_details(child),
                    "health_url": reverse(self.health_url_name, args=(child.pk,)),
                    "pdf_url": reverse(self.pdf_url_name, args=(child.pk,)),
                }
                for child in family.children.all()
            ],
            rows=services.document_rows(family),
            document_url_name=self.document_url_name,
            missing=services.missing_items(family),
            rules=rules,
            acceptance=services.rules_accepted(family, rules) if rules else None,
            quotients=FamilyQuotient.objects.for_family(family).order_by("-effective_date"),
            pending=services.pending_for(family),
            people=family.authorised_people.prefetch_related("children"),
            can_see_health=self.request.user.has_perm(HEALTH_PERMISSION),
            can_edit_guardians=self.request.user.has_perm(GUARDIAN_PERMISSION),
            guardian_address_url_name=self.guardian_address_url_name,
            index_url=reverse(self.index_url_name),
        )
        return context


class GuardianAddressView(ToolView):
    """A director corrects a guardian's own address (the one their certificates carry);
    it applies at once, through the family file's one writer of guardians' details.
    """

    permission = GUARDIAN_PERMISSION
    template_name = "family_file/admin/guardian_address.html"
    family_url_name = None

    @cached_property
    def guardian(self):
        return get_object_or_404(
            Guardian.objects.filter(family__in=Family.objects.for_staff(self.request.user)),
            pk=self.kwargs["guardian_id"],
        )

    def get_page_title(self):
        return _("Address of %(guardian)s") % {"guardian": self.guardian}

    def family_url(self):
        return reverse(self.family_url_name, args=(self.guardian.family_id,))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            guardian=self.guardian,
            form=kwargs.get("form")
            or GuardianAddressForm(instance=services.guardian_details(self.guardian)),
            family_url=self.family_url(),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = GuardianAddressForm(request.POST, instance=services.guardian_details(self.guardian))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        services.update_guardian(self.guardian, form.cleaned_data, by=request.user, checked=True)
        messages.success(request, _("Address of %(guardian)s saved.") % {"guardian": self.guardian})
        return redirect(self.family_url())


def _staff_child(request, child_id):
    return get_object_or_404(
        Child.objects.filter(family__in=Family.objects.for_staff(request.user)).select_related(
            "family__structure"
        ),
        pk=child_id,
    )


class HealthSheetAdminView(ToolView):
    """A child's health sheet on screen; the opening is logged."""

    permission = HEALTH_PERMISSION
    template_name = "family_file/admin/health_sheet.html"
    pdf_url_name = None
    family_url_name = None

    @cached_property
    def child(self):
        return _staff_child(self.request, self.kwargs["child_id"])

    def get_page_title(self):
        return _("Health sheet of %(child)s") % {"child": self.child}

    def get(self, request, *args, **kwargs):
        services.record_consultation(self.child, request.user, SheetConsultation.Kind.SCREEN)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sheet = services.health_sheet(self.child)
        context.update(
            child=self.child,
            sheet=sheet,
            groups=health.grouped(sheet.data),
            markers=health.markers(sheet.data),
            pdf_url=reverse(self.pdf_url_name, args=(self.child.pk,)),
            family_url=reverse(self.family_url_name, args=(self.child.family_id,)),
            consultations=SheetConsultation.objects.filter(child=self.child)[:20],
        )
        return context


class HealthSheetPdfView(PermissionRequiredMixin, View):
    permission = HEALTH_PERMISSION

    def get(self, request, child_id):
        child = _staff_child(request, child_id)
        services.record_consultation(child, request.user, SheetConsultation.Kind.PDF)
        data = health_sheets_pdf(
            [child],
            title=f"Fiche sanitaire — {child.first_name} {child.last_name}",
            structure=child.family.structure,
        )
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="fiche-sanitaire-{child.pk}.pdf"'
        response["Cache-Control"] = "no-store"
        return response


class PaiDocumentAdminView(PermissionRequiredMixin, View):
    permission = HEALTH_PERMISSION

    def get(self, request, child_id):
        child = _staff_child(request, child_id)
        sheet = services.health_sheet(child)
        if not sheet.pk or not sheet.pai_document:
            raise Http404
        services.record_consultation(child, request.user, SheetConsultation.Kind.PDF)
        return _file_response(sheet.pai_document, f"PAI-{child.pk}")


# --- "Modifications à valider" ---------------------------------------------------------------


class ChangeIndexView(ToolView):
    permission = CHANGES_PERMISSION
    template_name = "family_file/admin/changes.html"
    page_title = gettext_lazy("Changes to validate")
    review_url_name = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        changes = (
            PendingChange.objects.for_staff(self.request.user)
            .filter(status=PendingChange.Status.PENDING)
            .select_related("family", "child", "guardian")
            .order_by("submitted_at", "pk")
        )
        page = Paginator(changes, 50).get_page(self.request.GET.get("p"))
        context.update(
            page=page,
            rows=[
                {"change": c, "url": reverse(self.review_url_name, args=(c.pk,))}
                for c in page.object_list
            ],
        )
        return context


class ChangeReviewView(ToolView):
    """Before/after of a change, accept or refuse with a message to the family."""

    permission = CHANGES_PERMISSION
    template_name = "family_file/admin/change_review.html"
    index_url_name = None

    @cached_property
    def change(self):
        return get_object_or_404(
            PendingChange.objects.for_staff(self.request.user).select_related(
                "family", "child", "guardian"
            ),
            pk=self.kwargs["pk"],
        )

    def get_page_title(self):
        return str(self.change)

    def get(self, request, *args, **kwargs):
        if self.change.section == PendingChange.Section.HEALTH:
            # Reading health values before/after is an opening of the sheet.
            if not request.user.has_perm(HEALTH_PERMISSION):
                raise PermissionDenied
            services.record_consultation(
                self.change.child, request.user, SheetConsultation.Kind.SCREEN
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            change=self.change,
            rows=services.change_rows(self.change),
            form=kwargs.get("form") or DecisionMessageForm(),
            index_url=reverse(self.index_url_name),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = DecisionMessageForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        message = form.cleaned_data["message"]
        try:
            if request.POST.get("decision") == "accept":
                services.accept_change(self.change, by=request.user, message=message)
                messages.success(request, _("Change accepted and applied."))
            elif request.POST.get("decision") == "refuse":
                services.refuse_change(self.change, by=request.user, message=message)
                messages.success(request, _("Change refused; the family sees your message."))
            else:
                raise Http404
        except services.FamilyFileError as error:
            form.add_error("message", error)
            return self.render_to_response(self.get_context_data(form=form))
        return redirect(self.index_url_name)


# --- "Pièces à vérifier" --------------------------------------------------------------------


class DocumentIndexView(ToolView):
    permission = DOCUMENTS_PERMISSION
    template_name = "family_file/admin/documents.html"
    page_title = gettext_lazy("Documents to check")
    review_url_name = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        documents = (
            SupportingDocument.objects.for_staff(self.request.user)
            .filter(status=SupportingDocument.Status.PENDING)
            .select_related("family", "requirement", "child")
            .order_by("uploaded_at", "pk")
        )
        page = Paginator(documents, 50).get_page(self.request.GET.get("p"))
        context.update(
            page=page,
            rows=[
                {"document": d, "url": reverse(self.review_url_name, args=(d.pk,))}
                for d in page.object_list
            ],
        )
        return context


class DocumentReviewView(ToolView):
    permission = DOCUMENTS_PERMISSION
    template_name = "family_file/admin/document_review.html"
    index_url_name = None
    file_url_name = None

    @cached_property
    def document(self):
        return get_object_or_404(
            SupportingDocument.objects.for_staff(self.request.user).select_related(
                "family", "requirement", "child"
            ),
            pk=self.kwargs["pk"],
        )

    def get_page_title(self):
        return str(self.document)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            document=self.document,
            accept_form=kwargs.get("accept_form") or AcceptDocumentForm(document=self.document),
            refuse_form=kwargs.get("refuse_form") or RefuseDocumentForm(),
            file_url=reverse(self.file_url_name, args=(self.document.pk,)),
            index_url=reverse(self.index_url_name),
            quotients=FamilyQuotient.objects.for_family(self.document.family).order_by(
                "-effective_date"
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        decision = request.POST.get("decision")
        try:
            if decision == "accept":
                form = AcceptDocumentForm(request.POST, document=self.document)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(accept_form=form))
                services.accept_document(self.document, by=request.user, **form.cleaned_data)
                messages.success(request, _("Document accepted."))
            elif decision == "refuse":
                form = RefuseDocumentForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(refuse_form=form))
                services.refuse_document(
                    self.document, by=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Document refused; the family sees the reason."))
            else:
                raise Http404
        except services.FamilyFileError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(request.path)
        return redirect(self.index_url_name)


class DocumentFileAdminView(PermissionRequiredMixin, View):
    permission = FILES_PERMISSION

    def get(self, request, pk):
        document = get_object_or_404(
            SupportingDocument.objects.for_staff(request.user).select_related(
                "requirement", "family"
            ),
            pk=pk,
        )
        if document.requirement.is_health:
            if not request.user.has_perm(HEALTH_PERMISSION):
                raise PermissionDenied
            if document.child:
                services.record_consultation(
                    document.child, request.user, SheetConsultation.Kind.PDF
                )
        return _file_response(document.file, document.original_name)


def _file_response(field_file, name):
    if not field_file or not field_file.storage.exists(field_file.name):
        raise Http404
    extension = field_file.name.rsplit(".", 1)[-1]
    filename = name if name.lower().endswith(f".{extension}") else f"{name}.{extension}"
    response = FileResponse(field_file.open("rb"), as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response
