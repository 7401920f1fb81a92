"""The measured scenarios, run by bench/run.py once Django is set up on the database measured."""

import os
import resource
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import billing.ledger.pdf
from billing.ledger.services import LineData, create_draft_invoice, issue_invoice, issue_invoices
from billing.models import Category, DocumentStatus, Invoice, LedgerEntry
from parents.models import Association, Child, Family, Guardian, Structure, User

HISTORY_SIZES = (20, 200, 2000)
ISSUE_ROUND = 100  # invoices issued together, one per family, as in a month's invoicing
WARM_UP = 3


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def timed_requests(client, url, count, check):
    """Median and p95 of `count` requests, in ms, after a few unmeasured ones.

    The CPU time of this process is kept too: unlike the elapsed time, it hardly moves when
    other work shares the machine (it leaves out the PostgreSQL server's own work).
    """
    for _ in range(WARM_UP):
        check(client.get(url))
    samples, cpu_samples = [], []
    for _ in range(count):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        if response.streaming:
            body = b"".join(response.streaming_content)
            response.close()
        else:
            body = response.content
        samples.append((time.perf_counter() - started) * 1000)
        cpu_samples.append((time.process_time() - cpu_started) * 1000)
        check(response, body)
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": percentile(samples, 0.95),
        "cpu_median_ms": statistics.median(cpu_samples),
    }


# --- Data -------------------------------------------------------------------------------------


def make_structure():
    association = Association.objects.create(
        name="Loisirs Education & Citoyenneté Grand Sud",
        short_name="LE&C Grand Sud",
        address="12 allée des Sports\n31490 Brax",
        siret="42424242400017",
    )
    return Structure.objects.create(
        association=association,
        name="Commune de Brax",
        slug="brax",
        email="alsh@example.org",
        invoice_prefix="2L",
        invoice_suffix="EN",
    )


def make_family(structure, reference):
    family = Family.objects.create(
        structure=structure,
        reference=reference,
        name=f"FAMILLE {reference}",
        address_line1="1 rue de la Paix",
        postcode="31490",
        city="Brax",
    )
    child = Child.objects.create(
        family=family, first_name="Léa", last_name=family.name, birth_date=date(2018, 6, 1)
    )
    user = User.objects.create_user(username=f"parent-{reference.lower()}")
    Guardian.objects.create(
        family=family,
        user=user,
        civility=Guardian.Civility.MRS,
        first_name="Marie",
        last_name=family.name,
        email=f"{reference.lower()}@example.org",
    )
    return family, child, user


def fill_history(family, child, size):
    """`size` account rows, invoices and payments in turn over the years. Written in bulk:
    only the page reading them is measured here, not the services that write them.
    """
    start = date(2012, 1, 2)
    rows = []
    for i in range(size):
        day = start + timedelta(days=i * 2)
        if i % 2 == 0:
            rows.append(
                LedgerEntry(
                    family=family,
                    date=day,
                    kind=LedgerEntry.Kind.INVOICE,
                    label=f"Facture 2L{day.year}/{i:04d}EN",
                    debit=Decimal("36.07"),
                    child=child,
                )
            )
        else:
            rows.append(
                LedgerEntry(
                    family=family,
                    date=day,
                    kind=LedgerEntry.Kind.PAYMENT,
                    label=f"Règlement Chèques {9038100 + i}",
                    credit=Decimal("30.00"),
                )
            )
    LedgerEntry.objects.bulk_create(rows, batch_size=500)


def invoice_lines(child, day):
    return [
        LineData(
            "Mercredis (journée)",
            day,
            Decimal("4"),
            Decimal("9.50"),
            Category.GARDE,
            child=child,
            service_end=day + timedelta(days=21),
        ),
        LineData(
            "Repas",
            day,
            Decimal("4"),
            Decimal("3.20"),
            Category.REPAS,
            child=child,
            service_end=day + timedelta(days=21),
        ),
    ]


class Counting:
    """Wraps a function to count its calls and the time spent in it."""

    def __init__(self, function):
        self.function = function
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        started = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


# --- Scenarios --------------------------------------------------------------------------------


def account_page(structure, requests):
    results = []
    for size in HISTORY_SIZES:
        family, child, user = make_family(structure, f"H{size}")
        fill_history(family, child, size)
        client = Client()
        client.force_login(user)
        url = reverse("billing:account")
        pages = [1]
        if size > 50:
            pages.append((size + 49) // 50)  # the oldest operations, last page

        def check(response, body=None):
            assert response.status_code == 200, response.status_code
            assert b"Facture 2L" in (body or response.content)

        for page in pages:
            page_url = f"{url}?page={page}" if page > 1 else url
            figures = timed_requests(client, page_url, requests, check)
            with CaptureQueriesContext(connection) as queries:
                check(client.get(page_url))
            results.append({"operations": size, "page": page, "queries": len(queries), **figures})
            print(
                f"   account page, {size:>5} operations, page {page}: "
                f"median {figures['median_ms']:.1f} ms",
                flush=True,
            )
    return results


def stored_pdf(structure, requests):
    family, child, user = make_family(structure, "PDF")
    invoice = issue_invoice(
        create_draft_invoice(family, invoice_lines(child, date(2026, 9, 2))),
        issue_date=date(2026, 10, 5),
        render_pdf=True,
        notify=False,
    )
    size_kb = invoice.pdf.size / 1024
    client = Client()
    client.force_login(user)
    url = reverse("billing:invoice-pdf", args=[invoice.pk])
    render = Counting(billing.ledger.pdf.render_pdf)
    billing.ledger.pdf.render_pdf = render
    try:

        def check(response, body=None):
            assert response.status_code == 200, response.status_code
            if body is None:
                body = b"".join(response.streaming_content)
                response.close()
            assert body.startswith(b"%PDF-")

        figures = timed_requests(client, url, requests, check)
    finally:
        billing.ledger.pdf.render_pdf = render.function
    assert render.calls == 0, f"the PDF view rendered {render.calls} PDFs"
    print(f"   stored PDF: median {figures['median_ms']:.1f} ms, 0 renders", flush=True)
    return {**figures, "size_kb": size_kb, "renders": render.calls}


def cpu_seconds():
    """CPU seconds of this process, and of its finished children (the PDF workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def issue_many(structure, count, workers):
    """A month's invoicing, as `reservations.services.invoice_month(..., issue=True)` and
    `invoice_bookings --issue` do it: the drafts (`create_draft_invoice`), then
    `issue_invoices`, which numbers them one by one while `workers` processes render their
    PDFs. Each round is one invoice for each of 100 families."""
    families = [make_family(structure, f"I{n:03d}")[:2] for n in range(ISSUE_ROUND)]
    started, cpu_started = time.perf_counter(), cpu_seconds()
    for first in range(0, count, ISSUE_ROUND):
        day = date(2026, 1, 7) + timedelta(days=7 * (first // ISSUE_ROUND))
        drafts = [
            create_draft_invoice(family, invoice_lines(child, day))
            for family, child in families[: min(ISSUE_ROUND, count - first)]
        ]
        issued, refused = issue_invoices(
            drafts, issue_date=day + timedelta(days=28), workers=workers, notify=False
        )
        assert len(issued) == len(drafts) and not refused, refused
        elapsed = time.perf_counter() - started
        done = first + len(drafts)
        rate = done / elapsed
        print(f"   issued {done:>5,}/{count:,}, {elapsed:.1f} s ({rate:.1f}/s)", flush=True)
    seconds = time.perf_counter() - started
    own, children = (now - then for now, then in zip(cpu_seconds(), cpu_started, strict=True))
    missing = Invoice.objects.filter(status=DocumentStatus.ISSUED, pdf="").count()
    assert missing == 0, f"{missing} issued invoices without their PDF"
    return {
        "count": count,
        "workers": workers,
        "seconds": seconds,
        "per_second": count / seconds,
        "ms_each": seconds * 1000 / count,
        # The PDF processes do nothing else: their share of all the CPU time used.
        "pdf_share": children / (own + children),
        "cpu_ms_each": (own + children) * 1000 / count,
        # On an idle machine the numbering (this process) and the PDFs (the workers) share
        # the cores: the longer of this process's CPU time and all of it spread over them.
        "idle_per_second": count / max(own, (own + children) / (os.cpu_count() or 1)),
    }


def run_all(database, *, invoices, requests, started):
    def step(title):
        print(f"== {database}: {title} (at {time.perf_counter() - started:.0f} s)", flush=True)

    structure = make_structure()
    step("account page")
    account = account_page(structure, requests)
    step("stored PDF")
    pdf = stored_pdf(structure, requests)
    step(f"issuing {invoices:,} invoices with their PDF")
    issue = issue_many(structure, invoices, workers=os.cpu_count() or 1)
    step("done")
    return {"database": database, "account": account, "pdf": pdf, "issue": issue}
