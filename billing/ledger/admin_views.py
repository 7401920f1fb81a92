"""Admin views of invoices, credit notes, payments and family statements ("Facturation").

Two rules hold in every view here:

- Scope: an object is always looked up through `scope(user)` (the documents and payments of
  the structures the member of staff runs, everything for superusers), so another
  structure's invoice, payment, statement or PDF answers 404 whatever the URL typed.
- Money changes only through `billing.ledger.services`: no view saves an issued document or a
  payment itself. Edit and delete answer only for drafts; issuing, crediting, recording
  and reversing are actions that call the service and show its refusal as a form error.
"""

import logging

from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from django.views.generic.edit import BaseFormView

from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permissions import policy_registry

from core import admin as core_admin
from core.admin import (
    CappedCountPaginator,
    IndexedSearchMixin,
    ScopedIndexView,
    StaffScopedMixin,
)
from core.immutable import ImmutableError
from core.money import ZERO, format_euros, quantize
from core.storage import private_file_response
from parents.admin_views import FamilyPrefillMixin
from parents.models import Family

from . import services
from .forms import CreditNoteForm, ReversalForm
from .models import (
    Allocation,
    CreditNote,
    DocumentStatus,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentReversal,
)
from .views import OPERATIONS_PER_PAGE, ledger_with_running_balance

logger = logging.getLogger(__name__)

# The permission that opens family statements (the ledger), for directors and accountants.
STATEMENT_PERMISSION = "billing.view_ledgerentry"


class EurosColumn(Column):
    """An amount as the French read it ("1 234,50 €"); sortable on its database field."""

    def get_value(self, instance):
        value = super().get_value(instance)
        return format_euros(value) if value is not None else ""


def document_number(document):
    """The number of an issued document, or "Draft #12" for a draft (which has none)."""
    return document.number or _("Draft #%(id)s") % {"id": document.pk}


def statement_url(family_id):
    return reverse("billing_statements:statement", args=(family_id,))


# --- Scoping ---------------------------------------------------------------------------------


class ScopedInspectView(core_admin.ScopedInspectView):
    """Inspect an issued document or a payment: empty fields as a dash, booleans in words."""

    def get_object(self, queryset=None):
        # Cached: InspectView reads its fields before it sets self.object.
        if not hasattr(self, "_scoped_object"):
            self._scoped_object = get_object_or_404(self.get_scoped_queryset(), pk=self.pk)
        return self._scoped_object

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        return value


class ScopedHistoryView(core_admin.ScopedHistoryView):
    """History (the audit entries the services write); issued objects link to inspect."""

    inspect_url_name = None

    def get_edit_url(self, instance):
        if getattr(instance, "is_draft", False):
            return super().get_edit_url(instance)
        return None

    @cached_property
    def header_buttons(self):
        if edit_url := self.get_edit_url(self.object):
            return [HeaderButton(_("Edit"), url=edit_url, icon_name="edit")]
        if self.inspect_url_name:
            url = reverse(self.inspect_url_name, args=(quote(self.object.pk),))
            return [HeaderButton(_("Inspect"), url=url, icon_name="info-circle")]
        return []


class ScopedObjectView(
    StaffScopedMixin, PermissionCheckedMixin, BaseObjectMixin, WagtailAdminTemplateMixin
):
    """Base of the action views on one object (issue, credit, reverse, PDF).

    The object is looked up in scope before the permission check, so an object of another
    structure is a 404 for everybody but a superuser.
    """

    index_url_name = None
    inspect_url_name = None
    # The model whose permission the action needs, when it is not the object's own.
    permission_model = None

    def get_base_object_queryset(self):
        return self.get_scoped_queryset()

    @cached_property
    def permission_policy(self):
        return policy_registry.get_by_type(self.permission_model or self.model)

    @cached_property
    def inspect_url(self):
        return reverse(self.inspect_url_name, args=(quote(self.object.pk),))

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        items = []
        if self.index_url_name:
            items.append(
                {
                    "url": reverse(self.index_url_name),
                    "label": capfirst(self.model._meta.verbose_name_plural),
                }
            )
        items.append({"url": self.inspect_url, "label": str(self.object)})
        items.append({"url": "", "label": self.get_page_title()})
        return self.breadcrumbs_items + items


class DocumentPdfView(ScopedObjectView, View):
    """Staff download of the stored PDF of an issued invoice or credit note (in scope)."""

    permission_required = "view"

    def get_base_object_queryset(self):
        return super().get_base_object_queryset().filter(status=DocumentStatus.ISSUED)

    def get(self, request, *args, **kwargs):
        document = self.object
        if not document.pdf or not document.pdf.storage.exists(document.pdf.name):
            logger.error("Stored PDF missing for %s %s", self.model._meta.model_name, document.pk)
            raise Http404
        return private_file_response(
            document.pdf,
            filename=document.number.replace("/", "-") + ".pdf",
            content_type="application/pdf",
        )


# --- Invoices --------------------------------------------------------------------------------


class InvoiceIndexView(ScopedIndexView):
    issue_url_name = None
    pdf_url_name = None
    add_item_label = gettext_lazy("New draft invoice")

    def get_base_queryset(self):
        line_totals = (
            InvoiceLine.objects.filter(invoice=OuterRef("pk"))
            .order_by()
            .values("invoice")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return (
            super()
            .get_base_queryset()
            .select_related("family", "structure")
            # A correlated sum, not a JOIN and GROUP BY: only the page's rows compute it,
            # and counting the invoices leaves it out.
            .annotate(lines_total=Coalesce(Subquery(line_totals), ZERO))
        )

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        if field_name == "number":
            kwargs.setdefault("accessor", document_number)
        return super()._get_title_column(field_name, column_class, **kwargs)

    def get_edit_url(self, instance):
        return super().get_edit_url(instance) if instance.is_draft else None

    def get_delete_url(self, instance):
        return super().get_delete_url(instance) if instance.is_draft else None

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.is_draft and self.user_has_permission("change"):
            buttons.append(
                MenuItem(
                    _("Issue"),
                    url=reverse(self.issue_url_name, args=(quote(instance.pk),)),
                    icon_name="tick",
                    priority=15,
                )
            )
        if not instance.is_draft:
            buttons.append(
                MenuItem(
                    _("Download the PDF"),
                    url=reverse(self.pdf_url_name, args=(quote(instance.pk),)),
                    icon_name="download",
                    priority=25,
                )
            )
        buttons.append(
            MenuItem(
                _("Family statement"),
                url=statement_url(instance.family_id),
                icon_name="list-ul",
                priority=40,
            )
        )
        return buttons


class BillingErrorFormMixin:
    """Shows a service's refusal (`BillingError`) as a form error instead of a server error."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except services.BillingError as error:
            form.add_error(None, error)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class InvoiceCreateView(
    FamilyPrefillMixin, BillingErrorFormMixin, StaffScopedMixin, generic.CreateView
):
    """A new draft, written by `create_draft_invoice` from the validated form and lines."""

    inspect_url_name = None

    def save_instance(self):
        data = self.form.cleaned_data
        lines = [
            services.LineData(
                label=line.cleaned_data["label"],
                service_date=line.cleaned_data["service_date"],
                service_end=line.cleaned_data.get("service_end"),
                quantity=line.cleaned_data["quantity"],
                unit_price=line.cleaned_data["unit_price"],
                category=line.cleaned_data["category"],
                child=line.cleaned_data.get("child"),
            )
            for line in self.form.line_forms
        ]
        return services.create_draft_invoice(
            data["family"],
            lines,
            by=self.request.user,
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            note=data.get("note", ""),
        )

    def get_success_url(self):
        return reverse(self.inspect_url_name, args=(quote(self.object.pk),))

    def get_success_buttons(self):
        return [messages.button(self.get_edit_url(), _("Edit"))]


class DraftOnlyMixin:
    """Edit and delete answer only for drafts: an issued invoice is final (credit note).

    The refusal happens before any form is built, for GET and POST alike; the invoice is
    locked and checked again when saving, in case it was issued in the meantime.
    """

    inspect_url_name = None

    def dispatch(self, request, *args, **kwargs):
        invoice = get_object_or_404(self.get_scoped_queryset(), pk=self.kwargs["pk"])
        if not invoice.is_draft:
            return self.refuse(invoice)
        return super().dispatch(request, *args, **kwargs)

    def refuse(self, invoice):
        messages.error(
            self.request,
            _("%(invoice)s is issued and can no longer be changed or deleted; issue a credit note.")
            % {"invoice": invoice},
        )
        return redirect(self.inspect_url_name, quote(invoice.pk))


class InvoiceEditView(DraftOnlyMixin, StaffScopedMixin, generic.EditView):
    def get_queryset(self):
        return self.get_scoped_queryset().filter(status=DocumentStatus.DRAFT)

    def save_instance(self):
        locked = Invoice.objects.select_for_update().get(pk=self.object.pk)
        if not locked.is_draft:
            raise ImmutableError(locked)
        return super().save_instance()

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ImmutableError:
            return self.refuse(self.object)

    def get_success_url(self):
        return reverse(self.inspect_url_name, args=(quote(self.object.pk),))


class InvoiceDeleteView(DraftOnlyMixin, StaffScopedMixin, generic.DeleteView):
    # Not limited to drafts: DeleteView loads its object before dispatch, and an issued
    # invoice should meet the refusal message rather than a 404.
    def get_queryset(self):
        return self.get_scoped_queryset()

    def delete_action(self):
        services.delete_draft_invoice(self.object, by=self.request.user)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except services.BillingError:
            return self.refuse(self.object)


def allocations_prefetch():
    return Prefetch(
        "allocations",
        queryset=Allocation.objects.select_related("payment", "credit_note", "reversal"),
    )


def invoice_lines_with_settlement(invoice_lines):
    """Annotate lines with what was settled (allocations) and credited (issued avoirs)."""
    lines = list(
        invoice_lines.select_related("child")
        .prefetch_related(allocations_prefetch())
        .annotate(
            credited=Coalesce(
                Sum(
                    "credit_note_lines__amount",
                    filter=Q(credit_note_lines__credit_note__status=DocumentStatus.ISSUED),
                ),
                ZERO,
            )
        )
    )
    for line in lines:
        line.allocation_list = list(line.allocations.all())
        line.settled = sum((a.amount for a in line.allocation_list), ZERO)
        line.left = line.amount - line.settled
    return lines


class InvoiceInspectView(ScopedInspectView):
    template_name = "billing/admin/invoice_inspect.html"
    issue_url_name = None
    pdf_url_name = None
    credit_note_url_name = None
    history_url_name = None
    credit_note_inspect_url_name = None
    credit_note_pdf_url_name = None

    # Given when the invoice is issued: a draft has none of them yet.
    ISSUE_FIELDS = ("number", "issue_date", "due_date", "billed_name", "total", "paid_at_issue")

    def get_fields(self):
        fields = super().get_fields()
        if self.get_object().is_draft:
            fields = [name for name in fields if name not in self.ISSUE_FIELDS]
        return fields

    def get_field_label(self, field_name, field):
        if field_name == "paid_at_issue":
            return _("Already paid at issue")
        return super().get_field_label(field_name, field)

    def get_edit_url(self):
        return super().get_edit_url() if self.object.is_draft else None

    def get_delete_url(self):
        return super().get_delete_url() if self.object.is_draft else None

    def get_total_display_value(self):
        return format_euros(self.object.total)

    def get_paid_at_issue_display_value(self):
        return format_euros(self.object.paid_at_issue)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invoice = self.object
        lines = invoice_lines_with_settlement(invoice.lines.order_by("sort_order", "pk"))
        can_change = self.user_has_permission("change")
        credit_policy = policy_registry.get_by_type(CreditNote)
        context.update(
            invoice=invoice,
            lines=lines,
            has_allocations=any(line.allocation_list for line in lines),
            edit_url=self.get_edit_url(),
            delete_url=self.get_delete_url(),
            lines_total=sum((line.amount for line in lines), ZERO),
            settled_total=sum((line.settled for line in lines), ZERO),
            credit_notes=invoice.credit_notes.order_by("issue_date", "pk"),
            statement_url=statement_url(invoice.family_id),
            history_url=reverse(self.history_url_name, args=(quote(invoice.pk),)),
            credit_note_inspect_url_name=self.credit_note_inspect_url_name,
            credit_note_pdf_url_name=self.credit_note_pdf_url_name,
        )
        if invoice.is_draft and can_change:
            context["issue_url"] = reverse(self.issue_url_name, args=(quote(invoice.pk),))
        if not invoice.is_draft:
            context["pdf_url"] = reverse(self.pdf_url_name, args=(quote(invoice.pk),))
            if credit_policy.user_has_permission(self.request.user, "add"):
                context["credit_note_url"] = reverse(
                    self.credit_note_url_name, args=(quote(invoice.pk),)
                )
        return context


class InvoiceIssueView(ScopedObjectView, TemplateView):
    """ "Issue": GET asks for confirmation, POST calls `issue_invoice` (number, PDF, entries)."""

    model = Invoice
    permission_required = "change"
    template_name = "billing/admin/invoice_issue.html"
    page_title = gettext_lazy("Issue the invoice")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lines = list(self.object.lines.select_related("child").order_by("sort_order", "pk"))
        context.update(
            invoice=self.object,
            lines=lines,
            total=sum((line.amount for line in lines), ZERO),
            inspect_url=self.inspect_url,
        )
        return context

    def get(self, request, *args, **kwargs):
        if not self.object.is_draft:
            messages.error(request, _("This invoice is already issued."))
            return redirect(self.inspect_url)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        try:
            invoice = services.issue_invoice(self.object, by=request.user)
        except services.BillingError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(self.inspect_url)
        messages.success(
            request,
            _("Invoice %(number)s issued: %(total)s.")
            % {"number": invoice.number, "total": format_euros(invoice.total)},
        )
        return redirect(self.inspect_url)


class CreditNoteCreateView(ScopedObjectView, BaseFormView):
    """ "Create a credit note" on an issued invoice: drafts the avoir and issues it at once,
    in one transaction, so a refused issue leaves no draft behind.
    """

    model = Invoice
    permission_model = CreditNote
    permission_required = "add"
    form_class = CreditNoteForm
    template_name = "billing/admin/credit_note_form.html"
    page_title = gettext_lazy("Create a credit note")
    credit_note_inspect_url_name = None

    def get_base_object_queryset(self):
        return super().get_base_object_queryset().filter(status=DocumentStatus.ISSUED)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "invoice": self.object}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(invoice=self.object, inspect_url=self.inspect_url)
        return context

    def form_valid(self, form):
        try:
            with transaction.atomic():
                draft = services.create_draft_credit_note(
                    self.object,
                    form.cleaned_data["reason"],
                    form.credit_lines,
                    by=self.request.user,
                )
                credit_note = services.issue_credit_note(draft, by=self.request.user)
        except services.BillingError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Credit note %(number)s issued: %(total)s.")
            % {"number": credit_note.number, "total": format_euros(credit_note.total)},
        )
        return redirect(self.credit_note_inspect_url_name, quote(credit_note.pk))


# --- Credit notes ----------------------------------------------------------------------------


class CreditNoteIndexView(ScopedIndexView):
    pdf_url_name = None

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("family", "invoice")

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        if field_name == "number":
            kwargs.setdefault("accessor", document_number)
        return super()._get_title_column(field_name, column_class, **kwargs)

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if not instance.is_draft:
            buttons.append(
                MenuItem(
                    _("Download the PDF"),
                    url=reverse(self.pdf_url_name, args=(quote(instance.pk),)),
                    icon_name="download",
                    priority=25,
                )
            )
        return buttons


class CreditNoteInspectView(ScopedInspectView):
    template_name = "billing/admin/credit_note_inspect.html"
    pdf_url_name = None
    history_url_name = None
    invoice_inspect_url_name = None

    def get_total_display_value(self):
        return format_euros(self.object.total)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        credit_note = self.object
        context.update(
            credit_note=credit_note,
            lines=credit_note.lines.select_related("invoice_line__child").order_by(
                "sort_order", "pk"
            ),
            allocations=credit_note.allocations.select_related("invoice_line__invoice"),
            statement_url=statement_url(credit_note.family_id),
            history_url=reverse(self.history_url_name, args=(quote(credit_note.pk),)),
            invoice_url=reverse(self.invoice_inspect_url_name, args=(credit_note.invoice_id,)),
        )
        if not credit_note.is_draft:
            context["pdf_url"] = reverse(self.pdf_url_name, args=(quote(credit_note.pk),))
        return context


# --- Payments --------------------------------------------------------------------------------


class PaymentIndexView(ScopedIndexView):
    add_item_label = gettext_lazy("Record a payment")

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("family", "recorded_by")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(
            MenuItem(
                _("Family statement"),
                url=statement_url(instance.family_id),
                icon_name="list-ul",
                priority=40,
            )
        )
        return buttons


class PaymentCreateView(
    FamilyPrefillMixin, BillingErrorFormMixin, StaffScopedMixin, generic.CreateView
):
    """ "Record a payment": `record_payment` writes it, its account entry and its allocation."""

    inspect_url_name = None
    page_title = gettext_lazy("Record a payment")
    submit_button_label = gettext_lazy("Record the payment")

    def save_instance(self):
        return services.record_payment(by=self.request.user, **self.form.service_kwargs())

    def get_success_message(self, instance):
        return _("Payment of %(amount)s recorded for %(family)s.") % {
            "amount": format_euros(instance.amount),
            "family": instance.family,
        }

    def get_success_url(self):
        return reverse(self.inspect_url_name, args=(quote(self.object.pk),))

    def get_success_buttons(self):
        return [messages.button(statement_url(self.object.family_id), _("Family statement"))]


class PaymentInspectView(ScopedInspectView):
    template_name = "billing/admin/payment_inspect.html"
    reverse_url_name = None
    history_url_name = None
    invoice_inspect_url_name = None

    def get_amount_display_value(self):
        return format_euros(self.object.amount)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        payment = self.object
        remaining = payment.amount - payment.reversed_amount
        context.update(
            payment=payment,
            allocations=payment.allocations.select_related(
                "invoice_line__invoice", "invoice_line__child", "reversal"
            ),
            reversals=payment.reversals.all(),
            remaining=remaining,
            available=services.payment_available(payment),
            statement_url=statement_url(payment.family_id),
            history_url=reverse(self.history_url_name, args=(quote(payment.pk),)),
            invoice_inspect_url_name=self.invoice_inspect_url_name,
        )
        reversal_policy = policy_registry.get_by_type(PaymentReversal)
        if remaining > 0 and reversal_policy.user_has_permission(self.request.user, "add"):
            context["reverse_url"] = reverse(self.reverse_url_name, args=(quote(payment.pk),))
        return context


class PaymentReverseView(ScopedObjectView, BaseFormView):
    """ "Reverse": a bounced cheque or a refund, written by `reverse_payment`."""

    model = Payment
    permission_model = PaymentReversal
    permission_required = "add"
    form_class = ReversalForm
    template_name = "billing/admin/payment_reverse.html"
    page_title = gettext_lazy("Reverse the payment")

    @cached_property
    def remaining(self):
        return self.object.amount - self.object.reversed_amount

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "remaining": self.remaining}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(payment=self.object, inspect_url=self.inspect_url)
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            reversal = services.reverse_payment(
                self.object,
                reason=data["reason"],
                amount=data["amount"],
                on_date=data["date"],
                note=data["note"],
                by=self.request.user,
            )
        except services.BillingError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(payment)s: %(amount)s reversed.")
            % {"amount": format_euros(reversal.amount), "payment": self.object},
        )
        return redirect(self.inspect_url)


# --- Family statements -----------------------------------------------------------------------


class StatementPermissionMixin:
    """Statements show a family's whole account: they need the ledger's view permission."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(STATEMENT_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class StatementFamilyIndexView(StatementPermissionMixin, IndexedSearchMixin, generic.IndexView):
    """The director's families with their balance, each linking to its statement."""

    model = Family
    any_permission_required = None
    page_title = gettext_lazy("Family statements")
    header_icon = "list-ul"
    search_fields = ["name", "reference"]
    default_ordering = "name"
    # A page at a time, counted up to 10,000: an association may have 100,000 families.
    paginate_by = 50
    paginator_class = CappedCountPaginator

    def get_base_queryset(self):
        # Each family's stored balance (`FamilyBalance`, none for a family without any
        # account row): sorted by balance, every family's is read, and summing each one's
        # rows took seconds at 100,000 families.
        return (
            Family.objects.for_staff(self.request.user)
            .select_related("structure")
            .annotate(balance=Coalesce(F("stored_balance__balance"), ZERO))
        )

    @cached_property
    def list_display(self):
        return [
            TitleColumn(
                "name",
                label=gettext_lazy("Family"),
                accessor=str,
                sort_key="name",
                get_url=lambda family: statement_url(family.pk),
            ),
            Column("structure", label=gettext_lazy("Structure")),
            EurosColumn("balance", label=gettext_lazy("Balance"), sort_key="balance"),
        ]

    def get_add_url(self):
        return None


class StatementView(
    StatementPermissionMixin, SpreadsheetExportMixin, WagtailAdminTemplateMixin, TemplateView
):
    """A family's account as the parents see it, with the allocations of every line.

    `?export=csv` (or xlsx) gives the accountant the same ledger, oldest first: date,
    operation, debit, credit and running balance.
    """

    template_name = "billing/admin/statement.html"
    header_icon = "list-ul"
    # The page offers its own download buttons, next to the balance.
    show_export_buttons = False
    index_url_name = None
    payment_add_url_name = None
    invoice_add_url_name = None
    invoice_pdf_url_name = None
    credit_note_pdf_url_name = None
    invoice_inspect_url_name = None
    credit_note_inspect_url_name = None
    payment_inspect_url_name = None
    list_export = ["date", "label", "debit", "credit", "running_balance"]
    export_headings = {
        "date": gettext_lazy("Date"),
        "label": gettext_lazy("Operation"),
        "debit": gettext_lazy("Debit"),
        "credit": gettext_lazy("Credit"),
        "running_balance": gettext_lazy("Balance"),
    }

    @cached_property
    def family(self):
        return get_object_or_404(
            Family.objects.for_staff(self.request.user).select_related("structure"),
            pk=self.kwargs["family_id"],
        )

    def get_filename(self):
        return f"releve-{self.family.reference}"

    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        row["label"] = item.display_label
        # The window sum loses the scale on some databases (SQLite gives 20, not 20.00).
        row["running_balance"] = quantize(row["running_balance"])
        return row

    def get_page_title(self):
        return _("Statement of %(family)s") % {"family": self.family}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": _("Family statements")},
            {"url": "", "label": str(self.family)},
        ]

    def get(self, request, *args, **kwargs):
        if self.is_export:
            entries = ledger_with_running_balance(self.family).order_by("date", "id")
            return self.as_spreadsheet(entries, request.GET["export"])
        return super().get(request, *args, **kwargs)

    def get_invoices_with_lines(self):
        """Issued invoices, newest first, each with its lines and their allocations."""
        lines = invoice_lines_with_settlement(
            InvoiceLine.objects.filter(
                invoice__family=self.family, invoice__status=DocumentStatus.ISSUED
            )
            .select_related("invoice")
            .order_by("-invoice__issue_date", "-invoice_id", "sort_order", "pk")
        )
        invoices = {}
        for line in lines:
            item = invoices.setdefault(
                line.invoice_id, {"invoice": line.invoice, "lines": [], "has_allocations": False}
            )
            item["lines"].append(line)
            item["has_allocations"] = item["has_allocations"] or bool(line.allocation_list)
        return list(invoices.values())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        family = self.family
        paginator = Paginator(ledger_with_running_balance(family), OPERATIONS_PER_PAGE)
        page = paginator.get_page(self.request.GET.get("page"))
        balance = services.family_balance(family)
        context.update(
            family=family,
            balance=balance,
            credit=-balance,
            today=timezone.localdate(),
            page_obj=page,
            entries=page.object_list,
            invoices=self.get_invoices_with_lines(),
            csv_url=self.csv_export_url,
            xlsx_url=self.xlsx_export_url,
            invoice_pdf_url_name=self.invoice_pdf_url_name,
            credit_note_pdf_url_name=self.credit_note_pdf_url_name,
            invoice_inspect_url_name=self.invoice_inspect_url_name,
            credit_note_inspect_url_name=self.credit_note_inspect_url_name,
            payment_inspect_url_name=self.payment_inspect_url_name,
        )
        user = self.request.user
        if policy_registry.get_by_type(Payment).user_has_permission(user, "add"):
            context["payment_add_url"] = reverse(self.payment_add_url_name) + f"?family={family.pk}"
        if policy_registry.get_by_type(Invoice).user_has_permission(user, "add"):
            context["invoice_add_url"] = reverse(self.invoice_add_url_name) + f"?family={family.pk}"
        return context
