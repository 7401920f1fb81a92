"""Invoice and credit-note PDFs, rendered once when issued and kept in private storage: the
download view never renders.
"""

from django.core.files.base import ContentFile

from core.money import ZERO
from core.pdf import PDFRenderer, pdf_file_name, render_html, render_pdf

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


class InvoicePDFs:
    """Renders the PDFs of issued invoices as they are added, with `workers` processes
    (`core.pdf.PDFRenderer`): the caller goes on issuing meanwhile. Each invoice is its own
    document, so each counts its own pages ("1 / 1"). Use as a context manager.

    `finish()` gives `(invoice, PDF bytes)` in the order they were added, or the exception
    in place of the bytes for an invoice that could not be rendered.
    """

    def __init__(self, workers=1):
        self.renderer = PDFRenderer(workers, [STYLESHEET])
        self.invoices = []  # (invoice, exception raised before rendering or None)

    def add(self, invoice):
        try:
            html = render_html(INVOICE_TEMPLATE, invoice_context(invoice))
        except Exception as exc:  # noqa: BLE001 - reported for this invoice, the others go on
            self.invoices.append((invoice, exc))
            return
        self.invoices.append((invoice, None))
        self.renderer.add((html, [STYLESHEET], True))

    def finish(self):
        rendered = iter(self.renderer.finish())
        results = [
            (invoice, failure if failure is not None else next(rendered))
            for invoice, failure in self.invoices
        ]
        self.invoices = []
        return results

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.renderer.close()


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
