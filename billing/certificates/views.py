"""The family's yearly certificates: the list, "Détail du calcul" and the PDF download.

Certificates are always looked up through the requesting family and only once published
and visible (from the structure's publication date): anything else is a 404, the same
answer for another family's certificate as for one that does not exist.
"""

import logging
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from core.storage import private_file_response
from parents.views import FamilyAreaMixin, FamilyPageView

from ..ledger.models import PAYMENT_LABELS, payment_label
from ..models import Category, Certificate
from .computation import REASON_LABELS, Reason

logger = logging.getLogger(__name__)


def visible_certificates(family, today=None):
    today = today or timezone.localdate()
    return (
        Certificate.objects.for_family(family)
        .visible_to_parents(today)
        .select_related("superseded_by")
        .order_by("-year", "kind", "payer_key", "-version")
    )


def certificate_list_context(family, structure, today=None):
    """Certificates grouped by year, newest first, and when the next ones will come."""
    today = today or timezone.localdate()
    years = {}
    for certificate in visible_certificates(family, today):
        years.setdefault(certificate.year, []).append(certificate)
    # The certificates of last year's payments, until their publication date.
    coming_year = today.year - 1
    coming_date = structure.certificate_publication_date(coming_year)
    return {
        "certificate_years": sorted(years.items(), reverse=True),
        "coming_year": coming_year if today < coming_date else None,
        "coming_date": coming_date,
    }


class FamilyCertificateMixin(FamilyAreaMixin):
    def get_certificate(self, pk):
        try:
            return visible_certificates(self.family).get(pk=pk)
        except Certificate.DoesNotExist:
            logger.warning(
                "Denied certificate %s to user %s (family %s)",
                pk,
                self.request.user.pk,
                self.family.pk,
            )
            raise Http404 from None


# --- "Détail du calcul" ----------------------------------------------------------------------

SOURCE_LABELS = {
    "refund": gettext_lazy("Refund of %(payment)s"),
    "cancelled": gettext_lazy("Cancellation of %(payment)s (bounced cheque or recording error)"),
    "credit_note": gettext_lazy("Credit note %(payment)s"),
    "displaced": gettext_lazy("%(payment)s, moved to other lines by credit note %(credit_note)s"),
}


def _date(value):
    return date.fromisoformat(value) if value else None


def _split(row):
    """ "3 of the line's 5 days, in 2025" for a line whose care runs over two years."""
    if not row.get("days"):
        return ""
    days, total = row["days"]
    return _("%(days)s of the line's %(total)s days, in %(year)s") % {
        "days": days,
        "total": total,
        "year": _date(row["service_date"]).year,
    }


def _payment(row):
    """The row's payment as the ledger names it now, in the reader's language.

    The content keeps the words written at generation, in the site's language ("Règlement
    Carte en ligne pi_…"): they are part of the certificate's fingerprint, so they stay.
    The method and its detail are read back from them and named again.
    """
    stored, method = row["payment"], row.get("method")
    if not method or row["source"] == "credit_note":
        return stored
    with translation.override(settings.LANGUAGE_CODE):
        prefix = f"{_('Payment')} {PAYMENT_LABELS.get(method, method)}"
    if stored != prefix and not stored.startswith(prefix + " "):
        return stored
    return payment_label(method, stored[len(prefix) :].strip())


def describe_row(row):
    """A content row in words: what money, on which invoice line, and why (not) counted."""
    category = Category(row["category"]).label if row["category"] in Category.values else ""
    if row["counted"]:
        reason = ""
    elif row["reason"] == Reason.LATER_YEAR and row["category"] in REASON_LABELS:
        # A meal (or any charge that is not care) paid now for another year is counted in
        # no certificate: saying it counts next year would be false.
        reason = _("Not counted, in any year. %(why)s") % {"why": REASON_LABELS[row["category"]]}
    elif row["reason"] == Reason.LATER_YEAR:
        reason = _(
            "Counts in the certificate for %(year)s: the care or the payment is in %(year)s."
        ) % {"year": row["year"]}
    else:
        reason = str(REASON_LABELS.get(row["reason"], ""))
    return {
        "date": _date(row["date"]),
        "what": (
            SOURCE_LABELS[row["source"]]
            % {"payment": _payment(row), "credit_note": row.get("credit_note", "")}
            if row["source"] in SOURCE_LABELS
            else _payment(row)
        ),
        "invoice": row["invoice"],
        "line": row["line"],
        "category": category,
        "service_date": _date(row["service_date"]),
        "service_end": _date(row["service_end"]),
        "amount": Decimal(row["amount"]),
        "reason": reason,
        "split": (
            _("%(days)s of the line's %(total)s days, in %(year)s")
            % {
                "days": row["days"][0],
                "total": row["days"][1],
                "year": _date(row["service_date"]).year,
            }
            if row.get("days")
            else ""
        ),
    }


def describe_child(child):
    rows = [(row, describe_row(row)) for row in child["rows"]]
    excluded = {reason: Decimal(amount) for reason, amount in child.get("excluded", {}).items()}
    return {
        "name": f"{child['first_name']} {child['last_name']}",
        "birth_date": _date(child["birth_date"]),
        "care": Decimal(child["care"]),
        "cesu": Decimal(child["cesu"]),
        "total_paid": Decimal(child["total_paid"]),
        "excluded_total": Decimal(child["excluded_total"]),
        "third_party": Decimal(child["third_party"]),
        "excluded": [
            (str(REASON_LABELS.get(reason, reason)), amount) for reason, amount in excluded.items()
        ],
        "counted": [shown for row, shown in rows if row["counted"]],
        "not_counted": [
            shown
            for row, shown in rows
            if not row["counted"] and row["reason"] != Reason.LATER_YEAR
        ],
        "later": [shown for row, shown in rows if row["reason"] == Reason.LATER_YEAR],
        "eligible": child["kind"] == Certificate.Kind.TAX_CREDIT,
    }


class CertificateDetailView(FamilyCertificateMixin, FamilyPageView):
    """ "Détail du calcul": per child, the payments and invoice lines behind the amount."""

    template_name = "billing/certificates_detail.html"
    menu_url_name = "billing:certificates"
    page_title = gettext_lazy("Calculation details")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        certificate = self.get_certificate(self.kwargs["pk"])
        context.update(
            certificate=certificate,
            children=[describe_child(child) for child in certificate.content["children"]],
            year=certificate.year,
            active_tab="certificates",
        )
        return context


class CertificatePdfView(FamilyCertificateMixin, View):
    """The stored PDF of one of the family's visible certificates; it is never rendered here."""

    def get(self, request, pk):
        certificate = self.get_certificate(pk)
        if not certificate.pdf or not certificate.pdf.storage.exists(certificate.pdf.name):
            logger.error("Stored PDF missing for certificate %s", pk)
            raise Http404
        return private_file_response(
            certificate.pdf,
            filename=f"attestation-{certificate.number}.pdf",
            content_type="application/pdf",
        )
