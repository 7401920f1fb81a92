"""Invoice and credit-note PDFs, rendered once when issued and kept in private storage: the
download view never renders.
"""

from django.core.files.base import ContentFile

from core.money import ZERO
from core.pdf import html_to_pdfs, pdf_file_name, render_html, render_pdf

# The ledger's documents share one stylesheet, parsed once per process.
STYLESHEET = "billing/pdf.css"
INVOICE_TEMPLATE = "billing/pdf/invoice.html"


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
        INVOICE_TEMPLATE, invoice_context(invoice), stylesheets=[STYLESHEET], lean=True
    )
    save_invoice_pdf(invoice, data)


def save_invoice_pdf(invoice, data):
    invoice.pdf.save(pdf_file_name(invoice.number), ContentFile(data), save=False)


def render_invoice_pdfs(invoices, workers=1):
    """PDF bytes of each invoice, in order, rendered by `workers` processes; an invoice that
    could not be rendered gives the exception in its place. Each invoice is its own document,
    so each counts its own pages ("1 / 1")."""
    documents, results = [], []
    for invoice in invoices:
        try:
            documents.append(
                (render_html(INVOICE_TEMPLATE, invoice_context(invoice)), [STYLESHEET], True)
            )
            results.append(None)
        except Exception as exc:  # noqa: BLE001 - reported for this invoice, the others go on
            results.append(exc)
    rendered = iter(html_to_pdfs(documents, workers))
    return [result if result is not None else next(rendered) for result in results]


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
