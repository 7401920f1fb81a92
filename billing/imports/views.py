"""Admin page to import invoices and payments from a CSV file: upload, preview, confirm.

The uploaded file is checked and imported for real in a rolled-back transaction (a dry run)
to build the preview; the same bytes wait in the session, named by their SHA-256, until the
director confirms. Confirming re-reads them, so what is imported is exactly what was
previewed, checked again against the database of that moment.
"""

import base64
import hashlib

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.money import ZERO, format_euros

from ..models import Category, PaymentMethod
from .importers import KNOWN_COLUMNS, parse, run

# A CSV line is about 150 bytes: 2 MB is some 13,000 lines, more than a year of invoices of
# a structure, and small enough to wait in the session between preview and confirmation.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
SESSION_KEY = "billing_import_file"


def can_import(user):
    """Importing creates invoices and payments: the two permissions are needed, and rows
    are further limited to the user's structures by the importer.
    """
    return user.is_superuser or user.has_perms(["billing.add_invoice", "billing.add_payment"])


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8 text, columns separated by semicolons (;), at most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 2 MB)."))
        return upload.read()


class ImportConfirmForm(forms.Form):
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    notify = forms.BooleanField(
        label=gettext_lazy("Email the guardians about each new invoice"),
        help_text=gettext_lazy("Leave unticked when the families already received these invoices."),
        required=False,
    )


class BillingImportView(WagtailAdminTemplateMixin, TemplateView):
    """Upload a file → preview (what would be created, or every error) → confirm → import."""

    template_name = "billing/admin/import.html"
    page_title = gettext_lazy("Import invoices and payments")
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        if not can_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("upload_form", ImportUploadForm())
        context.update(
            columns=KNOWN_COLUMNS,
            categories=Category.values,
            methods=PaymentMethod.values,
            max_upload_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        )
        return context

    def post(self, request, *args, **kwargs):
        if "digest" in request.POST:
            return self.confirm(request)
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(upload_form=form))
        data = form.cleaned_data["file"]
        plan = parse(data, user=request.user)
        preview = run(plan, by=request.user, dry_run=True)
        context = {"plan": plan, "preview": preview, **self.summary(preview)}
        if preview.ok and (preview.invoices or preview.payments):
            request.session[SESSION_KEY] = {
                "digest": plan.digest,
                "data": base64.b64encode(data).decode("ascii"),
            }
            context["confirm_form"] = ImportConfirmForm(initial={"digest": plan.digest})
        else:
            request.session.pop(SESSION_KEY, None)
        return self.render_to_response(self.get_context_data(**context))

    def confirm(self, request):
        form = ImportConfirmForm(request.POST)
        stored = request.session.get(SESSION_KEY) or {}
        if not form.is_valid() or stored.get("digest") != form.cleaned_data["digest"]:
            messages.error(
                request, _("The file to import is no longer available: upload it again.")
            )
            return redirect("billing_import")
        data = base64.b64decode(stored["data"])
        if hashlib.sha256(data).hexdigest() != stored["digest"]:
            request.session.pop(SESSION_KEY, None)
            raise PermissionDenied
        plan = parse(data, user=request.user)
        result = run(plan, by=request.user, notify=form.cleaned_data["notify"])
        if not result.ok:
            context = {"plan": plan, "preview": result, **self.summary(result)}
            return self.render_to_response(self.get_context_data(**context))
        request.session.pop(SESSION_KEY, None)
        messages.success(
            request,
            _(
                "Import complete. Invoices created: %(invoices)s (%(invoiced)s); payments "
                "recorded: %(payments)s (%(paid)s); already imported: %(skipped)s."
            )
            % self.summary(result)["summary"],
        )
        return redirect("billing_import")

    @staticmethod
    def summary(result):
        return {
            "summary": {
                "invoices": len(result.invoices),
                "lines": result.line_count,
                "invoiced": format_euros(sum((i.total for i in result.invoices), ZERO)),
                "payments": len(result.payments),
                "paid": format_euros(sum((p.amount for p in result.payments), ZERO)),
                "skipped": len(result.skipped),
            }
        }


def get_import_urls():
    """Admin URLs of the import, to return from a `register_admin_urls` hook (which puts
    them behind the admin access check and the second factor).
    """
    return [path("facturation/import/", BillingImportView.as_view(), name="billing_import")]
