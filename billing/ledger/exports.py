"""The ledger's part of "Mes données": issued invoices and credit notes (data and PDFs),
payments. Drafts are not the family's documents yet and stay out.
"""

from parents.data_export import Contribution

from .models import CreditNote, Invoice, Payment


def _pdf(document, folder):
    if document.pdf and document.pdf.storage.exists(document.pdf.name):
        with document.pdf.open("rb") as handle:
            return (f"{folder}/{document.number.replace('/', '-')}.pdf", handle.read())
    return None


def ledger_export(family):
    data = {"factures": [], "avoirs": [], "reglements": []}
    files = []
    for invoice in Invoice.objects.for_family(family).issued().order_by("issue_date", "pk"):
        data["factures"].append(
            {"numero": invoice.number, "date": invoice.issue_date, "total": str(invoice.total)}
        )
        files.append(_pdf(invoice, "factures"))
    for note in CreditNote.objects.for_family(family).issued().order_by("issue_date", "pk"):
        data["avoirs"].append(
            {"numero": note.number, "date": note.issue_date, "total": str(note.total)}
        )
        files.append(_pdf(note, "avoirs"))
    for payment in Payment.objects.for_family(family).order_by("date", "pk"):
        data["reglements"].append(
            {
                "date": payment.date,
                "montant": str(payment.amount),
                "mode": str(payment.get_method_display()),
                "libelle": str(payment),
            }
        )
    return Contribution(data=data, files=[f for f in files if f])
