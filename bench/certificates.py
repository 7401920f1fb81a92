"""Yearly certificates at scale: `python bench/certificates.py` (run by `make bench`).

5,000 families of two children with a year of monthly invoices (care and meal lines for
each child) and payments (March in CESU, December's invoice paid in January of the next
year) are written in bulk, as the billing services would have written them; then:

1. the computation alone (`compute_certificates_bulk`) for every family: time and SQL
   queries (a fixed number per chunk of families, none per family);
2. `issue_attestations` with one worker process per core: total time, PDFs per second,
   CPU time per PDF, peak memory of the parent and of the workers (targets: under a
   minute for 5,000 families with both cores, at most 15 ms of CPU a certificate);
3. correctness: every family's certified amount equals the amount expected from the data,
   sampled PDFs say it, and a second run regenerates nothing.

Measured on PostgreSQL when it answers on 127.0.0.1:5432 (a scratch database, dropped
afterwards), on a SQLite file under var/ otherwise. By default both children are under 6
(one tax-credit certificate per family); `--mixed-ages` gives every family a child over 6
as well, hence two certificates each.
"""

import argparse
import io
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

# bench/http.py is named like the standard library's `http` package, which Django imports:
# run as a script, this folder must not come first on the import path.
BENCH_FOLDER = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_FOLDER]

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
SQLITE_FILE = VAR / "bench-certificates.sqlite3"
PDF_FOLDER = VAR / "bench-certificates-private"  # BENCH_PRIVATE_ROOT for bench/settings.py
PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_DATABASE = os.environ.get("BENCH_CERTIFICATES_DATABASE", "portail_bench_certificates")
YEAR = 2025
TARGET_SECONDS = 60
TARGET_CPU_MS = 15  # CPU time of the workers per PDF
SAMPLED_PDFS = 20
# Days of care per month, shifted per family so that no two families look alike.
DAYS = [4, 4, 3, 4, 3, 4, 10, 5, 3, 4, 4, 3]
MEAL = Decimal("3.60")


def postgres_answers():
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


def postgres_admin(statement):
    import psycopg

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(statement)


# --- Inside the measuring process ---------------------------------------------------------


def month_end(month):
    return date(YEAR + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def days_of(family_index, child_index, month):
    return DAYS[(month - 1 + family_index + 5 * child_index) % 12]


def price_of(family_index, child_index):
    return Decimal("10.00") + Decimal("0.50") * ((family_index + 3 * child_index) % 7)


def expected_care(family_index, child_index):
    """Care paid in the year: January to November (December's is paid the next January)."""
    price = price_of(family_index, child_index)
    return sum(days_of(family_index, child_index, month) * price for month in range(1, 12))


def build(families_count, mixed_ages):
    """Write the ledger in bulk: families, invoices, lines, payments and allocations."""
    from billing.models import (
        Allocation,
        Category,
        DocumentStatus,
        Invoice,
        InvoiceLine,
        Payment,
        PaymentMethod,
    )
    from parents.models import Association, Child, Family, Guardian, Structure

    association = Association.objects.create(
        name="Loisirs Education & Citoyenneté Grand Sud",
        short_name="LE&C Grand Sud",
        address="12 allée des Sports\n31490 Brax",
        siret="42424242400017",
    )
    structure = Structure.objects.create(
        association=association,
        name="Commune de Brax",
        slug="brax",
        address="Accueil de loisirs, 1 place de la Mairie\n31490 Brax",
        email="alsh@example.org",
        invoice_prefix="2L",
        invoice_suffix="EN",
        declaration_reference="0310123CL000125",
        certificate_signatory_name="Paul MARTEL",
        certificate_signatory_role="Directeur de l'accueil de loisirs",
        certificate_place="Brax",
    )
    births = [date(2020, 5, 12), date(2016, 9, 23) if mixed_ages else date(2022, 2, 3)]
    ids = {"invoice": 0, "line": 0, "payment": 0}
    batch = 500
    for start in range(0, families_count, batch):
        indexes = range(start, min(start + batch, families_count))
        families = Family.objects.bulk_create(
            [
                Family(
                    pk=i + 1,
                    structure=structure,
                    reference=f"F{i:05d}",
                    name=f"FAMILLE{i:05d}",
                    address_line1=f"{i % 90 + 1} rue des Lilas",
                    postcode="31490",
                    city="Brax",
                )
                for i in indexes
            ]
        )
        Guardian.objects.bulk_create(
            [
                Guardian(
                    pk=i + 1,
                    family_id=i + 1,
                    civility=Guardian.Civility.MRS,
                    first_name="Sophie",
                    last_name=f"FAMILLE{i:05d}",
                )
                for i in indexes
            ]
        )
        Child.objects.bulk_create(
            [
                Child(
                    pk=2 * i + c + 1,
                    family_id=i + 1,
                    first_name=("Léo", "Chloé")[c],
                    last_name=f"FAMILLE{i:05d}",
                    birth_date=births[c],
                )
                for i in indexes
                for c in (0, 1)
            ]
        )
        invoices, lines, payments, allocations = [], [], [], []
        for family in families:
            i = family.pk - 1
            for month in range(1, 13):
                ids["invoice"] += 1
                invoice_id = ids["invoice"]
                first, end = date(YEAR, month, 1), month_end(month)
                invoice_lines = []
                for c in (0, 1):
                    count = Decimal(days_of(i, c, month))
                    for category, label, price in (
                        (Category.GARDE, "Accueil de loisirs (journées)", price_of(i, c)),
                        (Category.REPAS, "Repas", MEAL),
                    ):
                        ids["line"] += 1
                        invoice_lines.append(
                            InvoiceLine(
                                pk=ids["line"],
                                invoice_id=invoice_id,
                                child_id=2 * i + c + 1,
                                label=label,
                                category=category,
                                service_date=first,
                                service_end=end,
                                quantity=count,
                                unit_price=price,
                                amount=count * price,
                                sort_order=len(invoice_lines),
                            )
                        )
                total = sum(line.amount for line in invoice_lines)
                invoices.append(
                    Invoice(
                        pk=invoice_id,
                        structure=structure,
                        family_id=family.pk,
                        status=DocumentStatus.ISSUED,
                        number=f"2L{YEAR}/{invoice_id:06d}EN",
                        issue_date=end,
                        due_date=end + timedelta(days=30),
                        period_start=first,
                        period_end=end,
                        total=total,
                        billed_name=f"Sophie FAMILLE{i:05d}",
                    )
                )
                lines += invoice_lines
                ids["payment"] += 1
                paid_on = month_end(month) + timedelta(days=8)
                payments.append(
                    Payment(
                        pk=ids["payment"],
                        structure=structure,
                        family_id=family.pk,
                        date=paid_on,
                        amount=total,
                        method=PaymentMethod.CESU if month == 3 else PaymentMethod.TRANSFER,
                        reference=f"B{ids['payment']}",
                        payer_id=family.pk,
                    )
                )
                allocations += [
                    Allocation(
                        invoice_line_id=line.pk,
                        payment_id=ids["payment"],
                        amount=line.amount,
                        date=paid_on,
                    )
                    for line in invoice_lines
                ]
        Invoice.objects.bulk_create(invoices, batch_size=1000)
        InvoiceLine.objects.bulk_create(lines, batch_size=2000)
        Payment.objects.bulk_create(payments, batch_size=1000)
        Allocation.objects.bulk_create(allocations, batch_size=2000)
    # Fresh statistics, as a database in service has them.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return structure


def cpu_seconds():
    """CPU seconds used so far by this process and by its finished children (the workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def peak_rss_mb(who):
    return resource.getrusage(who).ru_maxrss / 1024


def measure(out, families_count, workers, mixed_ages):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from pypdf import PdfReader

    from billing.certificates.computation import compute_certificates_bulk
    from billing.certificates.services import issue_attestations
    from billing.models import Certificate
    from core.money import format_euros
    from parents.models import Family

    figures = {"families": families_count, "workers": workers, "mixed_ages": mixed_ages}
    started = time.perf_counter()
    build(families_count, mixed_ages)
    figures["build_seconds"] = time.perf_counter() - started
    print(f"   ledger written in {figures['build_seconds']:.0f} s", flush=True)

    # 1. The computation alone.
    families = Family.objects.all()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        computed = compute_certificates_bulk(families, YEAR)
        figures["compute_seconds"] = time.perf_counter() - started
    figures["compute_queries"] = len(queries.captured_queries)
    figures["documents"] = sum(len(item.documents()) for item in computed)
    del computed
    reset_queries()
    print(
        f"   computation: {figures['compute_seconds']:.1f} s, {figures['compute_queries']} queries",
        flush=True,
    )

    # 2. Generation with the PDFs.
    before = cpu_seconds()
    started = time.perf_counter()
    summary = issue_attestations(YEAR, families=families, workers=workers)
    figures["generate_seconds"] = time.perf_counter() - started
    after = cpu_seconds()
    figures["cpu_parent"] = after[0] - before[0]
    figures["cpu_workers"] = after[1] - before[1]
    figures["generated"] = summary.generated
    figures["rendered"] = summary.rendered
    figures["pdfs_per_second"] = summary.rendered / figures["generate_seconds"]
    figures["peak_parent_mb"] = peak_rss_mb(resource.RUSAGE_SELF)
    figures["peak_worker_mb"] = peak_rss_mb(resource.RUSAGE_CHILDREN)
    print(
        f"   generation: {figures['generate_seconds']:.1f} s, {summary.rendered} PDFs",
        flush=True,
    )

    # 3. Correctness.
    wrong = []
    expected_kinds = 2 if mixed_ages else 1
    certificates = Certificate.objects.order_by("family_id", "kind")
    count = 0
    for certificate in certificates.iterator():
        count += 1
        i = certificate.family_id - 1
        if mixed_ages:
            child = 0 if certificate.kind == Certificate.Kind.TAX_CREDIT else 1
            expected = expected_care(i, child)
        else:
            expected = expected_care(i, 0) + expected_care(i, 1)
        if certificate.care_amount != expected or not certificate.pdf:
            wrong.append(certificate.number)
    figures["certificates"] = count
    figures["expected_certificates"] = families_count * expected_kinds
    figures["wrong"] = len(wrong)
    sample = random.Random(4).sample(list(Certificate.objects.all()), SAMPLED_PDFS)
    pdf_checks = 0
    for certificate in sample:
        with certificate.pdf.open("rb") as handle:
            text = " ".join(PdfReader(io.BytesIO(handle.read())).pages[0].extract_text().split())
        pdf_checks += certificate.number in text and format_euros(certificate.care_amount) in text
    figures["pdf_checks"] = f"{pdf_checks}/{SAMPLED_PDFS}"

    started = time.perf_counter()
    again = issue_attestations(YEAR, families=families, workers=workers)
    figures["rerun_seconds"] = time.perf_counter() - started
    figures["rerun_generated"] = again.generated
    figures["rerun_unchanged"] = again.unchanged
    Path(out).write_text(json.dumps(figures))


def worker(name, url, out, args):
    sys.path.insert(0, str(ROOT))
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["BENCH_PRIVATE_ROOT"] = str(PDF_FOLDER)
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from django.core.management import call_command

    print(f"== {name}: migrating", flush=True)
    call_command("migrate", verbosity=0)
    measure(out, args.families, args.workers, args.mixed_ages)


# --- The driving process ----------------------------------------------------------------------


def run_measure(name, url, args):
    shutil.rmtree(PDF_FOLDER, ignore_errors=True)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            name,
            url,
            str(out),
            f"--families={args.families}",
            f"--workers={args.workers}",
            *(["--mixed-ages"] if args.mixed_ages else []),
        ]
        subprocess.run(command, check=True, cwd=ROOT)  # noqa: S603
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
        shutil.rmtree(PDF_FOLDER, ignore_errors=True)


def report(name, figures):
    total = figures["generate_seconds"]
    cpu_ms = 1000 * figures["cpu_workers"] / max(figures["rendered"], 1)
    ok = total < TARGET_SECONDS
    print()
    print(
        f"Yearly certificates on {name}: {figures['families']:,} families × 2 children, "
        f"12 monthly invoices (care + meals) and payments each"
        + (" (mixed ages: two certificates per family)" if figures["mixed_ages"] else "")
    )
    print(
        f"  computation alone     {figures['compute_seconds']:8.1f} s   "
        f"{figures['compute_queries']} SQL queries for all families "
        f"({figures['documents']:,} certificates computed)"
    )
    print(
        f"  generation + PDFs     {total:8.1f} s   target < {TARGET_SECONDS} s: "
        f"{'ok' if ok else 'MISSED'}"
    )
    print(
        f"  PDFs                  {figures['rendered']:8,}     "
        f"{figures['pdfs_per_second']:.1f} PDFs/s with {figures['workers']} worker processes"
    )
    # What the same work takes on an idle machine: the workers' CPU time shared by the
    # cores, or the parent's if it were the longer.
    idle = max(figures["cpu_parent"], figures["cpu_workers"] / figures["workers"])
    print(
        f"  CPU time              {figures['cpu_workers']:8.1f} s in the workers "
        f"({cpu_ms:.1f} ms a PDF, target <= {TARGET_CPU_MS}: "
        f"{'ok' if cpu_ms <= TARGET_CPU_MS else 'MISSED'}), "
        f"{figures['cpu_parent']:.1f} s in the parent: about {idle:.0f} s on an idle "
        f"{figures['workers']}-core machine"
    )
    print(
        f"  peak memory           {figures['peak_parent_mb']:8.0f} MB parent, "
        f"{figures['peak_worker_mb']:.0f} MB largest worker"
    )
    print(
        f"  correct               {figures['certificates'] - figures['wrong']:,}/"
        f"{figures['expected_certificates']:,} amounts as expected, "
        f"sampled PDFs {figures['pdf_checks']}"
    )
    print(
        f"  second run            {figures['rerun_seconds']:8.1f} s   "
        f"{figures['rerun_generated']} regenerated, {figures['rerun_unchanged']:,} unchanged"
    )
    print(f"  (bulk-written ledger: {figures['build_seconds']:.0f} s, not measured)")
    return ok and not figures["wrong"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--mixed-ages", action="store_true")
    parser.add_argument("--sqlite", action="store_true", help="measure on SQLite")
    parser.add_argument("--worker", nargs=3, metavar=("NAME", "URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args)
        return 0
    VAR.mkdir(exist_ok=True)
    load_before = os.getloadavg()[0]
    if not args.sqlite and postgres_answers():
        name, url = "PostgreSQL", f"postgres://postgres@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
        postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        postgres_admin(f"CREATE DATABASE {PG_DATABASE}")
        try:
            figures = run_measure(name, url, args)
        finally:
            postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    else:
        name, url = "SQLite", f"sqlite:///{SQLITE_FILE}"
        SQLITE_FILE.unlink(missing_ok=True)
        try:
            figures = run_measure(name, url, args)
        finally:
            SQLITE_FILE.unlink(missing_ok=True)
    ok = report(name, figures)
    print(
        f"  load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        f"on {os.cpu_count()} CPUs (other work on the machine inflates the figures)."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
