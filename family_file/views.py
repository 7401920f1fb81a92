"""The family area's "Dossier famille". Every object is reached through `self.family`:
another family's child, person or document answers 404.
"""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from parents.views import FamilyAreaMixin

from . import services
from .forms import (
    AuthorisedPersonForm,
    ChildDetailsForm,
    ConsentForm,
    DocumentUploadForm,
    GuardianDetailsForm,
    HealthSheetForm,
    RulesAcceptForm,
)
from .models import AuthorisedPerson, PendingChange, SheetConsultation, SupportingDocument
from .seasons import season_label, season_of


def report(request, result):
    """Tell the parent what was saved and what waits for the director."""
    if result.pending is not None:
        messages.success(
            request,
            _("Your change has been sent to the centre: it is awaiting validation."),
        )
    else:
        messages.success(request, _("Your changes have been saved."))


class FileView(FamilyAreaMixin, TemplateView):
    pass


class FileHomeView(FileView):
    """ "Dossier famille": what is missing, what waits for the centre, links to each part."""

    template_name = "family_file/home.html"
    menu_url_name = "family_file:home"
    page_title = gettext_lazy("Family file")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            missing=services.missing_items(self.family),
            pending=services.pending_for(self.family).select_related("child", "guardian"),
            season=season_label(season_of()),
            blocking=services.booking_blockers(self.family),
        )
        return context


class GuardiansView(FileView):
    template_name = "family_file/guardians.html"
    menu_url_name = "family_file:guardians"
    page_title = gettext_lazy("Legal guardians")

    def guardians(self):
        return list(self.family.guardians.order_by("pk"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        bound = kwargs.get("bound")
        entries = []
        for guardian in self.guardians():
            details = services.guardian_details(guardian)
            form = (
                bound[1]
                if bound and bound[0] == guardian.pk
                else GuardianDetailsForm(instance=details, prefix=f"g{guardian.pk}")
            )
            pending = services.pending_for(self.family).filter(guardian=guardian).first()
            entries.append(
                {
                    "guardian": guardian,
                    "details": details,
                    "form": form,
                    "pending": pending,
                    "pending_rows": services.change_rows(pending) if pending else [],
                    "decided": services.last_decided(self.family, guardian=guardian),
                }
            )
        context["entries"] = entries
        return context

    def post(self, request, *args, **kwargs):
        guardian = get_object_or_404(self.family.guardians, pk=request.POST.get("guardian"))
        # A fresh instance: the form must not change the one the service compares with.
        form = GuardianDetailsForm(
            request.POST,
            instance=services.guardian_details(guardian),
            prefix=f"g{guardian.pk}",
        )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(bound=(guardian.pk, form)))
        values = {name: form.cleaned_data[name] for name in form.fields}
        report(request, services.update_guardian(guardian, values, by=request.user))
        return redirect("family_file:guardians")


class ChildrenView(FileView):
    template_name = "family_file/children.html"
    menu_url_name = "family_file:children"
    page_title = gettext_lazy("Children")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        bound = kwargs.get("bound")
        entries = []
        for child in self.family.children.all():
            form = (
                bound[1]
                if bound and bound[0] == child.pk
                else ChildDetailsForm(instance=services.child_details(child), prefix=f"c{child.pk}")
            )
            pending = (
                services.pending_for(self.family)
                .filter(child=child, section=PendingChange.Section.CHILD)
                .first()
            )
            entries.append(
                {
                    "child": child,
                    "form": form,
                    "pending": pending,
                    "pending_rows": services.change_rows(pending) if pending else [],
                    "decided": services.last_decided(
                        self.family, child=child, section=PendingChange.Section.CHILD
                    ),
                }
            )
        context["entries"] = entries
        return context

    def post(self, request, *args, **kwargs):
        child = get_object_or_404(self.family.children, pk=request.POST.get("child"))
        form = ChildDetailsForm(
            request.POST, instance=services.child_details(child), prefix=f"c{child.pk}"
        )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(bound=(child.pk, form)))
        values = {name: form.cleaned_data[name] for name in form.fields}
        report(request, services.update_child(child, values, by=request.user))
        return redirect("family_file:children")


class HealthIndexView(FileView):
    """ "Fiche sanitaire": one sheet per child, with its state this season."""

    template_name = "family_file/health_index.html"
    menu_url_name = "family_file:health-index"
    page_title = gettext_lazy("Health sheet")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        season = season_of()
        rows = []
        for child in self.family.children.all():
            sheet = services.health_sheet(child)
            rows.append(
                {
                    "child": child,
                    "sheet": sheet,
                    "certified": sheet.confirmed_season == season,
                    "pending": services.pending_for(self.family)
                    .filter(child=child, section=PendingChange.Section.HEALTH)
                    .exists(),
                }
            )
        context.update(rows=rows, season=season_label(season))
        return context


class HealthSheetView(FileView):
    template_name = "family_file/health_sheet.html"
    menu_url_name = "family_file:health-index"

    @cached_property
    def child(self):
        return get_object_or_404(self.family.children, pk=self.kwargs["child_id"])

    @property
    def page_title(self):
        return _("Health sheet of %(child)s") % {"child": self.child.first_name}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sheet = services.health_sheet(self.child)
        pending = (
            services.pending_for(self.family)
            .filter(child=self.child, section=PendingChange.Section.HEALTH)
            .first()
        )
        data = {**(sheet.data or {}), **((pending.after or {}) if pending else {})}
        context.update(
            child=self.child,
            sheet=sheet,
            form=kwargs.get("form") or HealthSheetForm(sheet_data=data),
            pending=pending,
            decided=services.last_decided(
                self.family, child=self.child, section=PendingChange.Section.HEALTH
            ),
            certified=sheet.confirmed_season == season_of(),
            season=season_label(season_of()),
            consultations=SheetConsultation.objects.filter(child=self.child)[:50],
        )
        return context

    def post(self, request, *args, **kwargs):
        form = HealthSheetForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            result = services.submit_health_sheet(
                self.child,
                form.data_values(),
                certified=form.cleaned_data["certify"],
                by=request.user,
                pai_document=form.cleaned_data.get("pai_document"),
            )
        except services.FamilyFileError as error:
            form.add_error(None, error)
            return self.render_to_response(self.get_context_data(form=form))
        if result.pending is not None:
            messages.success(
                request, _("The health sheet has been sent to the centre: awaiting validation.")
            )
        else:
            messages.success(request, _("The health sheet has been saved and certified."))
        return redirect("family_file:health", child_id=self.child.pk)


class PaiDocumentView(FamilyAreaMixin, View):
    def get(self, request, child_id):
        child = get_object_or_404(self.family.children, pk=child_id)
        sheet = services.health_sheet(child)
        if not sheet.pk or not sheet.pai_document:
            raise Http404
        return _file_response(sheet.pai_document, f"PAI-{child.first_name}")


class AuthorisedPeopleView(FileView):
    """ "Personnes autorisées": pick-up and emergency contacts, consents per child."""

    template_name = "family_file/people.html"
    menu_url_name = "family_file:people"
    page_title = gettext_lazy("Authorised people")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        consents = kwargs.get("consents") or {}
        entries = []
        for child in self.family.children.all():
            details = services.child_details(child)
            entries.append(
                {
                    "child": child,
                    "details": details,
                    "form": consents.get(child.pk)
                    or ConsentForm(details=details, prefix=f"c{child.pk}"),
                }
            )
        context.update(
            people=AuthorisedPerson.objects.for_family(self.family).prefetch_related("children"),
            form=kwargs.get("form") or AuthorisedPersonForm(family=self.family),
            consent_entries=entries,
        )
        return context

    def post(self, request, *args, **kwargs):
        if "child" in request.POST:
            child = get_object_or_404(self.family.children, pk=request.POST.get("child"))
            form = ConsentForm(request.POST, prefix=f"c{child.pk}")
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(consents={child.pk: form}))
            report(request, services.update_child(child, form.values(), by=request.user))
            return redirect("family_file:people")
        form = AuthorisedPersonForm(
            request.POST, family=self.family, instance=AuthorisedPerson(family=self.family)
        )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        services.save_authorised_person(
            form.save(commit=False), form.cleaned_data["children"], by=request.user
        )
        messages.success(request, _("The person has been added."))
        return redirect("family_file:people")


class AuthorisedPersonEditView(FileView):
    template_name = "family_file/person_edit.html"
    menu_url_name = "family_file:people"
    page_title = gettext_lazy("Change an authorised person")

    @cached_property
    def person(self):
        return get_object_or_404(
            AuthorisedPerson.objects.for_family(self.family), pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            person=self.person,
            form=kwargs.get("form")
            or AuthorisedPersonForm(family=self.family, instance=self.person),
        )
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "delete":
            services.delete_authorised_person(self.person, by=request.user)
            messages.success(request, _("The person has been removed."))
            return redirect("family_file:people")
        form = AuthorisedPersonForm(request.POST, family=self.family, instance=self.person)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        services.save_authorised_person(
            form.save(commit=False), form.cleaned_data["children"], by=request.user
        )
        messages.success(request, _("Your changes have been saved."))
        return redirect("family_file:people")


class DocumentsView(FileView):
    """ "Pièces justificatives": what the structure asks, each with its status; upload."""

    template_name = "family_file/documents.html"
    menu_url_name = "family_file:documents"
    page_title = gettext_lazy("Supporting documents")

    @cached_property
    def rows(self):
        return services.document_rows(self.family)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            rows=self.rows,
            form=kwargs.get("form") or DocumentUploadForm(rows=self.rows),
            season=season_label(season_of()),
            history=SupportingDocument.objects.for_family(self.family)
            .select_related("requirement", "child")
            .order_by("-uploaded_at")[:30],
        )
        return context

    def post(self, request, *args, **kwargs):
        form = DocumentUploadForm(request.POST, request.FILES, rows=self.rows)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        requirement, child = form.target()
        try:
            services.upload_document(
                self.family, requirement, form.cleaned_data["file"], by=request.user, child=child
            )
        except services.FamilyFileError as error:
            form.add_error(None, error)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _("The document has been sent: it is awaiting verification."))
        return redirect("family_file:documents")


class DocumentFileView(FamilyAreaMixin, View):
    def get(self, request, pk):
        document = get_object_or_404(SupportingDocument.objects.for_family(self.family), pk=pk)
        return _file_response(document.file, document.original_name)


class RulesView(FileView):
    """ "Règlement intérieur": the current version and who accepted it, when."""

    template_name = "family_file/rules.html"
    menu_url_name = "family_file:rules"
    page_title = gettext_lazy("House rules")

    @cached_property
    def version(self):
        return services.current_rules(self.structure)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            version=self.version,
            acceptance=services.rules_accepted(self.family, self.version) if self.version else None,
            form=kwargs.get("form") or RulesAcceptForm(),
        )
        return context

    def post(self, request, *args, **kwargs):
        if self.version is None or str(self.version.pk) != request.POST.get("version"):
            # A new version was published while the page was open: show it first.
            messages.error(request, _("The rules have changed: read the current version."))
            return redirect("family_file:rules")
        form = RulesAcceptForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        services.accept_rules(self.family, self.version, by=request.user)
        messages.success(request, _("Thank you: the rules are accepted."))
        return redirect("family_file:rules")


def _file_response(field_file, name):
    if not field_file or not field_file.storage.exists(field_file.name):
        raise Http404
    extension = field_file.name.rsplit(".", 1)[-1]
    filename = name if name.lower().endswith(f".{extension}") else f"{name}.{extension}"
    response = FileResponse(field_file.open("rb"), as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response
