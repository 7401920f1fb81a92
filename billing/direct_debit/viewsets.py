"""Admin of direct debit ("Facturation › Prélèvements"): mandates, batches, bank returns and
the structure's settings (direct debit, reminders, online payment).

Every object is looked up within the structures of the member of staff (`for_staff`), so
another structure's mandate, batch, file or family is a 404 whatever the URL typed; every
change goes through `billing.direct_debit.services` (and the reminders' and ledger's).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms import ModelForm
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from core.admin import permission_menu_item
from core.storage import private_file_response
from parents.models import Family, Structure

from ..ledger.services import BillingError
from ..online_payment.models import OnlinePaymentSettings
from ..reminders.forms import ReminderSettingsForm
from ..reminders.models import ReminderSettings
from . import services
from .forms import (
    DirectDebitSettingsForm,
    PaperMandateForm,
    PrepareBatchForm,
    RejectForm,
    ReturnFileForm,
    RevokeForm,
)
from .models import DebitBatch, DebitLine, DirectDebitSettings, Mandate

VIEW_PERMISSION = "billing.view_mandate"
MANAGE_PERMISSION = "billing.change_mandate"
BATCH_PERMISSION = "billing.change_debitbatch"
SETTINGS_PERMISSION = "billing.change_directdebitsettings"


def direct_debit_permissions():
    """What the Direction group needs here, as (app_label, codename)."""
    return [
        ("billing", "view_mandate"),
        ("billing", "add_mandate"),
        ("billing", "change_mandate"),
        ("billing", "view_debitbatch"),
        ("billing", "add_debitbatch"),
        ("billing", "change_debitbatch"),
        ("billing", "change_directdebitsettings"),
        ("billing", "view_reminder"),
        ("billing", "add_reminder"),
        ("billing", "add_reminderpause"),
    ]


class DirectDebitAdminMixin(WagtailAdminTemplateMixin):
    permission_required = VIEW_PERMISSION
    url_names = None
    header_icon = "resubmit"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission_required):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def structures(self):
        return Structure.objects.for_staff(self.request.user).order_by("name")

    @cached_property
    def structure(self):
        wanted = self.request.GET.get("structure") or self.request.POST.get("structure")
        if wanted:
            return get_object_or_404(self.structures(), pk=wanted if wanted.isdigit() else 0)
        return self.structures().first()

    def mandates(self):
        return Mandate.objects.for_staff(self.request.user).select_related("family", "structure")

    def batches(self):
        return DebitBatch.objects.for_staff(self.request.user).select_related("structure")

    def index_url(self, structure, **params):
        query = urlencode({"structure": structure.pk, **params})
        return f"{reverse(self.url_names['index'])}?{query}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            url_names=self.url_names,
            structures=self.structures(),
            structure=self.structure,
            can_manage=self.request.user.has_perm(MANAGE_PERMISSION),
            can_batch=self.request.user.has_perm(BATCH_PERMISSION),
            can_configure=self.request.user.has_perm(SETTINGS_PERMISSION),
        )
        return context


class DirectDebitDashboardView(DirectDebitAdminMixin, TemplateView):
    """A structure's mandates (by status) and batches, with the actions of the month."""

    template_name = "billing/admin/direct_debit/index.html"
    page_title = gettext_lazy("Direct debit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        structure = self.structure
        if structure is None:
            return context
        dd_settings = services.direct_debit_settings(structure)
        status = self.request.GET.get("status", "")
        mandates = self.mandates().filter(structure=structure)
        counts = dict(mandates.values_list("status").annotate(total=Count("pk")))
        if status in Mandate.Status.values:
            mandates = mandates.filter(status=status)
        context.update(
            settings=dd_settings,
            status=status,
            statuses=[
                (value, label, counts.get(value, 0)) for value, label in Mandate.Status.choices
            ],
            mandates=mandates.order_by("family__name")[:300],
            stop_requests=self.mandates().filter(
                structure=structure,
                stop_requested_at__isnull=False,
                status__in=Mandate.CURRENT_STATUSES,
            ),
            batches=self.batches().filter(structure=structure)[:24],
            next_date=services.next_collection_date(dd_settings) if dd_settings.is_ready else None,
            prepare_form=PrepareBatchForm(
                initial={
                    "collection_date": services.next_collection_date(dd_settings)
                    if dd_settings.is_ready
                    else None
                }
            ),
            return_form=ReturnFileForm(),
        )
        return context


class MandateDetailView(DirectDebitAdminMixin, TemplateView):
    template_name = "billing/admin/direct_debit/mandate.html"
    page_title = gettext_lazy("Mandate")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mandate = get_object_or_404(self.mandates(), pk=self.kwargs["pk"])
        context.update(
            mandate=mandate,
            revoke_form=RevokeForm(),
            debits=mandate.debits.select_related("batch", "payment").order_by(
                "-batch__collection_date"
            ),
            settings=services.direct_debit_settings(mandate.structure),
        )
        return context


class MandatePdfView(DirectDebitAdminMixin, View):
    def get(self, request, pk):
        mandate = get_object_or_404(self.mandates(), pk=pk)
        if not mandate.pdf or not mandate.pdf.storage.exists(mandate.pdf.name):
            services.store_mandate_pdf(mandate)
            mandate.save(update_fields=["pdf"])
        return private_file_response(
            mandate.pdf,
            filename=f"mandat-{mandate.reference}.pdf",
            content_type="application/pdf",
        )


class MandateActionView(DirectDebitAdminMixin, View):
    """POST validate / revoke / reactivate on one mandate of the director's structures."""

    http_method_names = ["post"]
    permission_required = MANAGE_PERMISSION

    def post(self, request, pk, action):
        mandate = get_object_or_404(self.mandates(), pk=pk)
        try:
            if action == "validate":
                services.validate_mandate(mandate, by=request.user)
                messages.success(request, _("Mandate %(ref)s validated.") % {"ref": mandate})
            elif action == "revoke":
                form = RevokeForm(request.POST)
                reason = form.cleaned_data["reason"] if form.is_valid() else ""
                services.revoke_mandate(mandate, by=request.user, reason=reason)
                messages.success(request, _("Mandate %(ref)s revoked.") % {"ref": mandate})
            elif action == "reactivate":
                services.reactivate_mandate(mandate, by=request.user)
                messages.success(request, _("Mandate %(ref)s reactivated.") % {"ref": mandate})
            else:
                raise Http404
        except BillingError as exc:
            messages.error(request, exc.messages[0])
        return redirect(self.url_names["mandate"], mandate.pk)


class PaperMandateView(DirectDebitAdminMixin, TemplateView):
    template_name = "billing/admin/direct_debit/paper_mandate.html"
    page_title = gettext_lazy("Record a paper mandate")
    permission_required = MANAGE_PERMISSION

    def families(self):
        return Family.objects.for_staff(self.request.user).select_related("structure")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", PaperMandateForm(families=self.families()))
        return context

    def post(self, request):
        form = PaperMandateForm(request.POST, families=self.families())
        if form.is_valid():
            try:
                mandate = services.record_paper_mandate(
                    form.cleaned_data["family"],
                    holder_name=form.cleaned_data["holder_name"],
                    iban=form.cleaned_data["iban"],
                    bic=form.cleaned_data["bic"],
                    signed_on=form.cleaned_data["signed_on"],
                    by=request.user,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Paper mandate %(ref)s recorded.") % {"ref": mandate})
                return redirect(self.url_names["mandate"], mandate.pk)
        # The IBAN typed is not shown back: it is typed again after a correction.
        form.data = form.data.copy()
        form.data["iban"] = ""
        return self.render_to_response(self.get_context_data(form=form))


def _add_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc.messages[0])


class PrepareBatchView(DirectDebitAdminMixin, View):
    http_method_names = ["post"]
    permission_required = BATCH_PERMISSION

    def post(self, request):
        structure = self.structure
        if structure is None:
            raise Http404
        form = PrepareBatchForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Enter a valid collection date."))
            return redirect(self.index_url(structure))
        try:
            batch = services.prepare_batch(
                structure, form.cleaned_data["collection_date"], by=request.user
            )
        except BillingError as exc:
            messages.error(request, exc.messages[0])
            return redirect(self.index_url(structure))
        if batch is None:
            messages.warning(request, _("No family with an active mandate has a balance due."))
            return redirect(self.index_url(structure))
        messages.success(request, _("Batch prepared; the families are told by e-mail."))
        return redirect(self.url_names["batch"], batch.pk)


class BatchDetailView(DirectDebitAdminMixin, TemplateView):
    template_name = "billing/admin/direct_debit/batch.html"
    page_title = gettext_lazy("Direct debit batch")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = get_object_or_404(self.batches(), pk=self.kwargs["pk"])
        lines = batch.lines.select_related("family", "mandate", "payment", "fee_invoice")
        context.update(
            batch=batch,
            lines=lines,
            totals=services.batch_totals(batch),
            reject_form=RejectForm(
                lines=lines.filter(status=DebitLine.Status.COLLECTED),
                initial={"reject_date": None},
            ),
            return_form=ReturnFileForm(),
        )
        return context


class BatchFileView(DirectDebitAdminMixin, View):
    """The pain.008 file: the one kept when the batch was sent, or a fresh one before."""

    permission_required = BATCH_PERMISSION

    def get(self, request, pk):
        batch = get_object_or_404(self.batches(), pk=pk)
        if batch.status == DebitBatch.Status.SENT and batch.xml:
            data = batch.xml.read()
        else:
            try:
                data = services.render_batch_xml(batch)
            except BillingError as exc:
                messages.error(request, exc.messages[0])
                return redirect(self.url_names["batch"], batch.pk)
        response = HttpResponse(data, content_type="application/xml")
        response["Content-Disposition"] = (
            f'attachment; filename="{services.batch_file_name(batch)}"'
        )
        return response


class BatchActionView(DirectDebitAdminMixin, View):
    http_method_names = ["post"]
    permission_required = BATCH_PERMISSION

    def post(self, request, pk, action):
        batch = get_object_or_404(self.batches(), pk=pk)
        try:
            if action == "send":
                services.mark_batch_sent(batch, by=request.user)
                messages.success(request, _("Batch marked as sent: the payments are recorded."))
            elif action == "cancel":
                services.cancel_batch(batch, by=request.user)
                messages.success(request, _("Batch cancelled."))
            elif action == "exclude":
                line = get_object_or_404(batch.lines, pk=request.POST.get("line") or 0)
                services.exclude_debit(line, by=request.user)
                messages.success(request, _("Debit taken out of the batch."))
            elif action == "reject":
                lines = batch.lines.filter(status=DebitLine.Status.COLLECTED)
                form = RejectForm(request.POST, lines=lines)
                if not form.is_valid():
                    messages.error(request, _("Choose the debit, the reason code and the date."))
                else:
                    services.record_reject(
                        form.cleaned_data["line"],
                        code=form.cleaned_data["code"],
                        on_date=form.cleaned_data["reject_date"],
                        by=request.user,
                    )
                    messages.success(request, _("Reject recorded: the payment is reversed."))
            else:
                raise Http404
        except (BillingError, ValidationError) as exc:
            messages.error(request, exc.messages[0])
        return redirect(self.url_names["batch"], batch.pk)


class ReturnImportView(DirectDebitAdminMixin, View):
    """Upload the bank's camt.054: each reject it lists is recorded once."""

    http_method_names = ["post"]
    permission_required = BATCH_PERMISSION

    def post(self, request):
        structure = self.structure
        if structure is None:
            raise Http404
        form = ReturnFileForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose the bank's return file."))
            return redirect(self.index_url(structure))
        upload = form.cleaned_data["file"]
        try:
            recorded, already, problems = services.import_bank_return(
                structure, upload.read(services.MAX_RETURN_BYTES + 1), by=request.user
            )
        except BillingError as exc:
            messages.error(request, exc.messages[0])
            return redirect(self.index_url(structure))
        messages.success(
            request,
            _("%(recorded)s reject(s) recorded, %(already)s already known.")
            % {"recorded": recorded, "already": already},
        )
        for problem in problems[:10]:
            messages.warning(request, problem)
        return redirect(self.index_url(structure))


class SettingsView(DirectDebitAdminMixin, TemplateView):
    """One page per structure: direct debit, reminders, and the online-payment option."""

    template_name = "billing/admin/direct_debit/settings.html"
    page_title = gettext_lazy("Direct debit and reminder settings")
    permission_required = SETTINGS_PERMISSION

    def instances(self):
        structure = self.structure
        if structure is None:
            raise Http404
        return (
            DirectDebitSettings.objects.filter(structure=structure).first()
            or DirectDebitSettings(structure=structure),
            ReminderSettings.objects.filter(structure=structure).first()
            or ReminderSettings(structure=structure),
            OnlinePaymentSettings.objects.get_or_create(structure=structure)[0],
        )

    def forms(self, data=None):
        dd_settings, reminders, online = self.instances()
        return (
            DirectDebitSettingsForm(data, instance=dd_settings, prefix="dd"),
            ReminderSettingsForm(data, instance=reminders, prefix="rm"),
            OnlinePaymentSettingsForm(data, instance=online, prefix="op"),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        forms = kwargs.get("forms") or self.forms()
        context.update(dd_form=forms[0], reminder_form=forms[1], online_form=forms[2])
        return context

    def post(self, request):
        forms = self.forms(request.POST)
        if all(form.is_valid() for form in forms):
            for form in forms:
                form.save()
            messages.success(request, _("Settings saved."))
            return redirect(f"{reverse(self.url_names['settings'])}?structure={self.structure.pk}")
        messages.error(request, _("The settings could not be saved: see the errors below."))
        return self.render_to_response(self.get_context_data(forms=forms))


class OnlinePaymentSettingsForm(ModelForm):
    class Meta:
        model = OnlinePaymentSettings
        fields = ["free_amount"]


class DirectDebitAdminViewSet(ViewSet):
    name = "direct_debit"
    url_prefix = "facturation/prelevements"
    icon = "resubmit"
    menu_label = gettext_lazy("Direct debit")
    menu_order = 450
    add_to_admin_menu = True
    menu_item_class = permission_menu_item(VIEW_PERMISSION)

    def view(self, view_class, **kwargs):
        names = {
            key: self.get_url_name(key)
            for key in (
                "index",
                "mandate",
                "mandate_pdf",
                "mandate_action",
                "paper",
                "prepare",
                "batch",
                "batch_file",
                "batch_action",
                "return",
                "settings",
            )
        }
        return view_class.as_view(url_names=names, **kwargs)

    def get_urlpatterns(self):
        return [
            path("", self.view(DirectDebitDashboardView), name="index"),
            path("mandats/<int:pk>/", self.view(MandateDetailView), name="mandate"),
            path("mandats/<int:pk>/pdf/", self.view(MandatePdfView), name="mandate_pdf"),
            path(
                "mandats/<int:pk>/<slug:action>/",
                self.view(MandateActionView),
                name="mandate_action",
            ),
            path("mandats/papier/", self.view(PaperMandateView), name="paper"),
            path("lots/preparer/", self.view(PrepareBatchView), name="prepare"),
            path("lots/<int:pk>/", self.view(BatchDetailView), name="batch"),
            path("lots/<int:pk>/fichier/", self.view(BatchFileView), name="batch_file"),
            path("lots/<int:pk>/<slug:action>/", self.view(BatchActionView), name="batch_action"),
            path("retours/", self.view(ReturnImportView), name="return"),
            path("reglages/", self.view(SettingsView), name="settings"),
        ]
