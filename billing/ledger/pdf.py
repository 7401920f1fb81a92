"""Invoice and credit-note PDFs, rendered once when issued and kept in private storage: the
download view never renders.
"""

from django.core.files.base import ContentFile

from core.money import ZERO
from core.pdf import pdf_file_name, render_pdf

# The ledger's documents share one stylesheet, parsed once per process.
STYLESHEET = "billing/pdf.css"


def invoice_context(invoice):
    lines = list(invoice.lines.select_related("child").order_by("sort_order", "pk"))
    children = {line.child for line in lines if line.child}
    return {
        "invoice": invoice,
        "lines": lines,
        "structure": invoice.structure,
        "association": invoice.structure.association,
        "family": invoice.family,
        "children": sorted(children, key=lambda c: (c.birth_date, c.first_name)),
        "paid": invoice.paid_at_issue or ZERO,
        "left_to_pay": invoice.total - (invoice.paid_at_issue or ZERO),
    }


def store_invoice_pdf(invoice):
    data = render_pdf(
        "billing/pdf/invoice.html", invoice_context(invoice), stylesheets=[STYLESHEET], lean=True
    )
    invoice.pdf.save(pdf_file_name(invoice.number), ContentFile(data), save=False)


def store_credit_note_pdf(credit_note):
    lines = list(
        credit_note.lines.select_related("invoice_line__child").order_by("sort_order", "pk")
    )
    context = {
        "credit_note": credit_note,
        "invoice": credit_note.invoice,
        "lines": lines,
        "structure": credit_note.structure,
        "association": credit_note.structure.association,
        "family": credit_note.family,
    }
    data = render_pdf("billing/pdf/credit_note.html", context, stylesheets=[STYLESHEET], lean=True)
    credit_note.pdf.save(pdf_file_name(credit_note.number), ContentFile(data), save=False)
