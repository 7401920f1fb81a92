import logging

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, F, Subquery, Sum, Window
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import View

from core.money import ZERO, quantize
from core.page_cache import CachedPageMixin
from core.storage import private_file_response
from parents.views import FamilyAreaMixin, FamilyPageView

from ..online_payment.services import online_payment_offer
from .models import CreditNote, Invoice, LedgerEntry

logger = logging.getLogger(__name__)

OPERATIONS_PER_PAGE = 50


def ledger_with_running_balance(family):
    """The family's journal, newest first, each row with the balance after it.

    The running balance is a SQL window over (date, id), served by the index on
    (family, date, id): the page costs the same few queries whatever the history length.
    """
    running = Window(Sum(F("debit") - F("credit")), order_by=[F("date").asc(), F("id").asc()])
    return (
        LedgerEntry.objects.for_family(family)
        .with_documents()
        .annotate(running_balance=running)
        .order_by("-date", "-id")
    )


# What a row of the page reads (`display_label`, the amounts, the PDF links): fifty rows and
# their documents built from every column cost more than the rest of the view.
ACCOUNT_ROW_FIELDS = (
    "date",
    "kind",
    "label",
    "debit",
    "credit",
    "invoice__number",
    "credit_note__number",
    "payment__method",
    "payment__cheque_number",
    "payment__reference",
    "reversal__reason",
    "child__first_name",
)


def account_page(family, balance, rows, number):
    """The page of the family's journal, newest first, each row with the balance after it.

    The balance after a row is today's balance less every row listed above it: those of
    earlier pages, summed by a subquery of the same query (through the (family, date, id)
    index), and those above it on this page. The SQL window of `ledger_with_running_balance`
    joined every row of the history to its document before keeping fifty.
    """
    journal = LedgerEntry.objects.for_family(family).order_by("-date", "-id")
    paginator = Paginator(journal, OPERATIONS_PER_PAGE)
    paginator.count = rows  # a cached property, set before anything reads it
    page = paginator.get_page(number)
    skipped = max(page.start_index() - 1, 0)
    # The page's keys first (the index alone), then their documents: joining documents
    # before the LIMIT made PostgreSQL join every row of a long history.
    entries = (
        journal.with_documents()
        .only(*ACCOUNT_ROW_FIELDS)
        .filter(pk__in=journal.values("pk")[skipped : page.end_index()])
    )
    if skipped:
        newer = (
            LedgerEntry.objects.filter(pk__in=journal.values("pk")[:skipped])
            .values("family_id")
            .annotate(total=Sum(F("debit") - F("credit")))
            .values("total")
        )
        entries = entries.annotate(newer=Subquery(newer))
    entries = list(entries)
    running = balance - ((entries[0].newer or ZERO) if skipped and entries else ZERO)
    invoice_pdf, credit_note_pdf = (
        _pdf_address("billing:invoice-pdf"),
        _pdf_address("billing:credit-note-pdf"),
    )
    for entry in entries:
        entry.running_balance = running
        running -= entry.debit - entry.credit
        entry.shown_label = entry.display_label
        entry.pdf_url = (
            invoice_pdf(entry.invoice_id)
            if entry.invoice_id
            else credit_note_pdf(entry.credit_note_id)
            if entry.credit_note_id
            else ""
        )
    page.object_list = entries
    return page


def _pdf_address(name):
    """The address of document `pk`'s PDF, for the page's rows: reversed once, then the key
    put in its place (a reverse() for each of fifty rows was a tenth of the page)."""
    marker = 987654321
    before, after = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{before}{pk}{after}"


class AccountView(CachedPageMixin, FamilyPageView):
    """ "Gestion du compte": the balance and "Liste de vos opérations".

    Kept per session until the account changes (core.page_cache): families come back to it.
    """

    template_name = "billing/account.html"
    menu_url_name = "billing:account"
    page_title = _("Account management")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The number of rows and the balance in one query: the paginator is given its count.
        totals = LedgerEntry.objects.for_family(self.family).aggregate(
            rows=Count("pk"), debit=Sum("debit"), credit=Sum("credit")
        )
        balance = quantize((totals["debit"] or ZERO) - (totals["credit"] or ZERO))
        page = account_page(self.family, balance, totals["rows"], self.request.GET.get("page"))
        from ..direct_debit.views import account_direct_debit

        direct_debit = account_direct_debit(self.family)
        context.update(
            balance=balance,
            credit=-balance,
            direct_debit=direct_debit,
            # While a mandate is in force the balance is debited: no card payment offered.
            online_payment=None
            if direct_debit["active"]
            else online_payment_offer(self.family, balance),
            today=timezone.localdate(),
            page_obj=page,
            entries=page.object_list,
            active_tab="account",
        )
        return context


class DocumentPdfView(FamilyAreaMixin, View):
    """Serves a stored invoice or credit-note PDF, found through the requesting family."""

    model = None
    # An issued document's number and stored file never change: with a shared cache they
    # are kept there, and a download reads no row (the file is still checked for).
    STORED_FILE_SECONDS = 60 * 60

    def get(self, request, pk):
        document = self.stored_document(pk)
        if not document.pdf or not document.pdf.storage.exists(document.pdf.name):
            logger.error("Stored PDF missing for %s %s", self.model._meta.model_name, pk)
            cache.delete(self.cache_key(pk))
            raise Http404
        return private_file_response(
            document.pdf,
            filename=document.number.replace("/", "-") + ".pdf",
            content_type="application/pdf",
        )

    def cache_key(self, pk):
        return f"stored-document:{self.model._meta.label_lower}:{self.family.pk}:{pk}"

    def stored_document(self, pk):
        """The family's issued document `pk` (its number and file only, when kept), or 404."""
        shared = settings.CACHE_IS_SHARED
        if shared and (kept := cache.get(self.cache_key(pk))):
            number, name = kept
            return self.model(pk=pk, family_id=self.family.pk, number=number, pdf=name)
        try:
            document = self.model.objects.for_family(self.family).get(pk=pk, status="issued")
        except self.model.DoesNotExist:
            # Either it does not exist or it is another family's: same answer, but logged.
            logger.warning(
                "Denied %s %s to user %s (family %s)",
                self.model._meta.model_name,
                pk,
                self.request.user.pk,
                self.family.pk,
            )
            raise Http404 from None
        if shared and document.pdf:
            cache.set(
                self.cache_key(pk), (document.number, document.pdf.name), self.STORED_FILE_SECONDS
            )
        return document


class InvoicePdfView(DocumentPdfView):
    model = Invoice


class CreditNotePdfView(DocumentPdfView):
    model = CreditNote


class CertificatesView(FamilyPageView):
    """Tab "Attestations" ("Liste des attestations"): the family's published yearly
    certificates by year, or when the next ones will be available.
    """

    template_name = "billing/certificates.html"
    menu_url_name = "billing:certificates"
    page_title = _("Certificate list")

    def get_context_data(self, **kwargs):
        from ..certificates.views import certificate_list_context

        context = super().get_context_data(**kwargs)
        context.update(certificate_list_context(self.family, self.structure))
        context["active_tab"] = "certificates"
        return context
