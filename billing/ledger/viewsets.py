"""Wagtail admin for the ledger: the "Facturation" menu.

Invoices (drafts edited with their lines, then issued), credit notes and payments, each
seen only within the structures of the member of staff (`for_staff`), plus the family
statements. Issued documents and payments have inspect views and actions that call
`billing.ledger.services`; nothing here edits or deletes them.
"""

from django.contrib.admin.utils import quote
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup

import django_filters

from core.admin import (
    AdminPagesViewSet,
    AllChoiceFilter,
    DateFromToFilter,
    ScopedModelViewSet,
    StaffChoiceFilter,
    admin_page,
    searchable_index_pages,
)
from parents.choosers import FamilyChooserFilter
from parents.models import Structure

from . import admin_views
from .forms import InvoiceForm, PaymentForm
from .models import CreditNote, DocumentStatus, Invoice, Payment, PaymentMethod


def billing_permissions():
    """What the Direction group needs for the billing admin, as (app_label, codename).

    Drafts are created, changed (and issued: "change") and deleted; credit notes, payments
    and reversals are only ever added; statements read the ledger.
    """
    return [
        ("billing", "view_invoice"),
        ("billing", "add_invoice"),
        ("billing", "change_invoice"),
        ("billing", "delete_invoice"),
        ("billing", "view_creditnote"),
        ("billing", "add_creditnote"),
        ("billing", "view_payment"),
        ("billing", "add_payment"),
        ("billing", "add_paymentreversal"),
        ("billing", "view_ledgerentry"),
    ]


# The columns every export of a family's documents and payments has, in this order.
FAMILY_EXPORT_FIELDS = ["structure.name", "family.reference", "family.name"]
FAMILY_EXPORT_HEADINGS = {
    "structure.name": _("Structure"),
    "family.reference": _("Family reference"),
    "family.name": _("Family"),
}


class StructureFamilyFilterSet(WagtailFilterSet):
    """Filters offering only the structures and families of the member of staff."""

    structure = StaffChoiceFilter(Structure, label=_("structure"))
    # A chooser (a search in a modal), not a <select> of every family.
    family = FamilyChooserFilter(label=_("family"))


class InvoiceFilterSet(StructureFamilyFilterSet):
    status = AllChoiceFilter(label=_("status"), choices=DocumentStatus.choices)
    issue_date = DateFromToFilter(label=_("issue date"))

    class Meta:
        model = Invoice
        fields = ["structure", "family", "status", "issue_date"]


class CreditNoteFilterSet(StructureFamilyFilterSet):
    issue_date = DateFromToFilter(label=_("issue date"))

    class Meta:
        model = CreditNote
        fields = ["structure", "family", "issue_date"]


class PaymentFilterSet(StructureFamilyFilterSet):
    method = AllChoiceFilter(label=_("method"), choices=PaymentMethod.choices)
    date = DateFromToFilter(label=_("date received"))
    needs_review = django_filters.BooleanFilter(label=_("to review"))

    class Meta:
        model = Payment
        fields = ["structure", "family", "method", "date", "needs_review"]


class BillingModelViewSet(ScopedModelViewSet):
    """A scoped viewset whose objects are inspected: issued documents and payments are never
    edited (their `disabled_views` say so), and links from the admin's audit log and search
    open the inspect view.
    """

    inspect_view_class = admin_views.ScopedInspectView
    history_view_class = admin_views.ScopedHistoryView
    inspect_view_enabled = True
    # Billing models are not in the reference index, so a usage view would always say 0.
    disabled_views = ("usage",)

    @property
    def url_finder_class(self):
        inspect_url_name = self.get_url_name("inspect")

        class InspectURLFinder(ModelAdminURLFinder):
            def construct_edit_url(self, instance):
                return reverse(inspect_url_name, args=(quote(instance.pk),))

        return InspectURLFinder

    def extra_view(self, view_class, **kwargs):
        """Construct one of the action views, with this viewset's scope and URL names."""
        return self.construct_view(
            view_class,
            index_url_name=self.get_url_name("index"),
            inspect_url_name=self.get_url_name("inspect"),
            **kwargs,
        )


class InvoiceViewSet(BillingModelViewSet):
    model = Invoice
    name = "invoices"
    add_item_label = _("Add an invoice")
    new_item_label = _("New invoice")
    url_prefix = "facturation/factures"
    icon = "doc-full"
    menu_order = 100
    form_class = InvoiceForm
    index_view_class = admin_views.InvoiceIndexView
    add_view_class = admin_views.InvoiceCreateView
    edit_view_class = admin_views.InvoiceEditView
    delete_view_class = admin_views.InvoiceDeleteView
    inspect_view_class = admin_views.InvoiceInspectView
    list_display = [
        "number",
        "family",
        "issue_date",
        admin_views.EurosColumn(
            "total",
            label=capfirst(_("total")),
            sort_key="total",
            # A draft has no total yet: show what its lines add up to.
            accessor=lambda invoice: invoice.total if not invoice.is_draft else invoice.lines_total,
        ),
        "status",
    ]
    filterset_class = InvoiceFilterSet
    search_fields = ["number", "family__name", "family__reference"]
    list_export = [
        "number",
        *FAMILY_EXPORT_FIELDS,
        "issue_date",
        "due_date",
        "total",
        "get_status_display",
    ]
    export_headings = {**FAMILY_EXPORT_HEADINGS, "get_status_display": _("Status")}
    export_filename = "factures"
    inspect_view_fields = [
        "number",
        "status",
        "structure",
        "family",
        "issue_date",
        "due_date",
        "period_start",
        "period_end",
        "billed_name",
        "total",
        "paid_at_issue",
        "note",
    ]
    panels = [
        FieldPanel("family"),
        FieldRowPanel([FieldPanel("period_start"), FieldPanel("period_end")]),
        InlinePanel(
            "lines",
            label=_("invoice line"),
            heading=_("Lines"),
            min_num=1,
            panels=[
                FieldRowPanel([FieldPanel("child"), FieldPanel("category")]),
                FieldPanel("label"),
                FieldRowPanel([FieldPanel("service_date"), FieldPanel("service_end")]),
                FieldRowPanel([FieldPanel("quantity"), FieldPanel("unit_price")]),
            ],
        ),
        FieldPanel("note"),
    ]

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            issue_url_name=self.get_url_name("issue"),
            pdf_url_name=self.get_url_name("pdf"),
            credit_note_url_name=self.get_url_name("credit_note"),
            credit_note_inspect_url_name="credit_notes:inspect",
            credit_note_pdf_url_name="credit_notes:pdf",
            **kwargs,
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "issue/<int:pk>/",
                self.extra_view(admin_views.InvoiceIssueView),
                name="issue",
            ),
            path(
                "pdf/<int:pk>/",
                self.extra_view(admin_views.DocumentPdfView, model=Invoice),
                name="pdf",
            ),
            path(
                "credit-note/<int:pk>/",
                self.extra_view(
                    admin_views.CreditNoteCreateView,
                    credit_note_inspect_url_name="credit_notes:inspect",
                ),
                name="credit_note",
            ),
        ]


class CreditNoteViewSet(BillingModelViewSet):
    model = CreditNote
    name = "credit_notes"
    url_prefix = "facturation/avoirs"
    icon = "rotate"
    menu_order = 200
    disabled_views = ("add", "edit", "delete", "usage")
    index_view_class = admin_views.CreditNoteIndexView
    inspect_view_class = admin_views.CreditNoteInspectView
    list_display = [
        "number",
        "family",
        "invoice",
        "issue_date",
        admin_views.EurosColumn("total", label=capfirst(_("total")), sort_key="total"),
        "reason",
    ]
    filterset_class = CreditNoteFilterSet
    search_fields = ["number", "invoice__number", "family__name", "family__reference"]
    list_export = [
        "number",
        "invoice.number",
        *FAMILY_EXPORT_FIELDS,
        "issue_date",
        "total",
        "reason",
    ]
    export_headings = {**FAMILY_EXPORT_HEADINGS, "invoice.number": _("Corrected invoice")}
    export_filename = "avoirs"
    inspect_view_fields = [
        "number",
        "status",
        "structure",
        "family",
        "invoice",
        "issue_date",
        "reason",
        "billed_name",
        "total",
    ]

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            pdf_url_name=self.get_url_name("pdf"),
            invoice_inspect_url_name="invoices:inspect",
            **kwargs,
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "pdf/<int:pk>/",
                self.extra_view(admin_views.DocumentPdfView, model=CreditNote),
                name="pdf",
            ),
        ]


class PaymentViewSet(BillingModelViewSet):
    model = Payment
    name = "payments"
    add_item_label = _("Add a payment")
    new_item_label = _("New payment")
    url_prefix = "facturation/reglements"
    icon = "tick"
    menu_order = 300
    disabled_views = ("edit", "delete", "usage")
    form_class = PaymentForm
    index_view_class = admin_views.PaymentIndexView
    add_view_class = admin_views.PaymentCreateView
    inspect_view_class = admin_views.PaymentInspectView
    list_display = [
        "date",
        "family",
        "method",
        admin_views.EurosColumn("amount", label=capfirst(_("amount")), sort_key="amount"),
        Column(
            "reference",
            label=capfirst(_("reference")),
            accessor=lambda payment: payment.cheque_number or payment.reference,
        ),
        "recorded_by",
        Column(
            "needs_review",
            label=capfirst(_("to review")),
            accessor=lambda payment: _("Yes") if payment.needs_review else _("No"),
            sort_key="needs_review",
        ),
    ]
    filterset_class = PaymentFilterSet
    search_fields = ["family__name", "family__reference", "cheque_number", "reference"]
    list_export = [
        "date",
        *FAMILY_EXPORT_FIELDS,
        "get_method_display",
        "amount",
        "cheque_number",
        "reference",
        "get_payer_kind_display",
        "third_party_name",
        "recorded_by",
        "needs_review",
    ]
    export_headings = {
        **FAMILY_EXPORT_HEADINGS,
        "get_method_display": _("Method"),
        "get_payer_kind_display": _("Paid by"),
    }
    export_filename = "reglements"
    inspect_view_fields = [
        "date",
        "structure",
        "family",
        "amount",
        "method",
        "cheque_number",
        "reference",
        "payer_kind",
        "payer",
        "third_party_name",
        "needs_review",
        "note",
        "recorded_at",
        "recorded_by",
    ]

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            reverse_url_name=self.get_url_name("reverse"),
            invoice_inspect_url_name="invoices:inspect",
            **kwargs,
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "reverse/<int:pk>/",
                self.extra_view(admin_views.PaymentReverseView),
                name="reverse",
            ),
        ]


class StatementViewSet(AdminPagesViewSet):
    """Family statements: a list of the director's families, and each family's account."""

    name = "billing_statements"
    url_prefix = "facturation/famille"
    icon = "list-ul"
    menu_label = _("Family statements")
    menu_order = 400
    menu_permission = admin_views.STATEMENT_PERMISSION
    pages = [
        *searchable_index_pages(admin_views.StatementFamilyIndexView),
        admin_page(
            "<int:family_id>/releve/",
            "statement",
            admin_views.StatementView,
            index="index",
            payment_add="payments:add",
            invoice_add="invoices:add",
            invoice_pdf="invoices:pdf",
            credit_note_pdf="credit_notes:pdf",
            invoice_inspect="invoices:inspect",
            credit_note_inspect="credit_notes:inspect",
            payment_inspect="payments:inspect",
        ),
    ]


class BillingViewSetGroup(ViewSetGroup):
    menu_label = _("Billing")
    menu_icon = "doc-full-inverse"
    menu_order = 200
    items = (InvoiceViewSet, CreditNoteViewSet, PaymentViewSet, StatementViewSet)
