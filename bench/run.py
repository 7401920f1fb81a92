"""Performance figures of the family account: `make bench` (not part of the test suite).

Measures, on SQLite (a file under var/) and, when a PostgreSQL server answers on
127.0.0.1:5432, on a scratch database there (created, then dropped):

1. the account page for families with 20, 200 and 2,000 operations (median and p95 time,
   SQL queries; target: median under 50 ms);
2. the download of a stored invoice PDF (and that it never renders one);
3. issuing 1,000 invoices with their PDF as a month's invoicing does (100 at a time,
   numbered one by one, then their PDFs rendered by one process per core), on PostgreSQL
   (the production database), or on SQLite when PostgreSQL is absent; with PostgreSQL
   present, SQLite issues 100 for comparison, so that the whole run stays within about
   five minutes (rendering a PDF takes most of the time of an issue).

Each database is measured in a child process, since Django is set up once per process.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/http.py is named like the standard library's `http` package, which Django imports:
# run as a script, this folder must not come first on the import path.
BENCH_FOLDER = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_FOLDER]

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
SQLITE_FILE = VAR / "bench.sqlite3"
PDF_FOLDER = VAR / "bench-account-private"  # given to bench/settings.py as BENCH_PRIVATE_ROOT
PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_DATABASE = os.environ.get("BENCH_DATABASE", "portail_bench")
PG_URL = f"postgres://postgres@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
TARGET_MS = 50
TARGET_INVOICES_PER_SECOND = 30
SECONDARY_INVOICES = 100


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


def measure(name, url, args, invoices):
    """Run the scenarios against one database in a child process; return its figures."""
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
            f"--invoices={invoices}",
            f"--requests={args.requests}",
        ]
        env = {**os.environ, "BENCH_PRIVATE_ROOT": str(PDF_FOLDER)}
        subprocess.run(command, check=True, cwd=ROOT, env=env)  # noqa: S603
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def worker(name, url, out, args):
    sys.path.insert(0, str(ROOT))
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import warnings

    import django

    # WhiteNoise warns that collectstatic has not run: static files are not measured.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.core.management import call_command

    from bench import scenarios

    started = time.perf_counter()
    print(f"== {name}: migrating", flush=True)
    call_command("migrate", verbosity=0)
    figures = scenarios.run_all(
        name, invoices=args.invoices, requests=args.requests, started=started
    )
    Path(out).write_text(json.dumps(figures))


def print_report(results, args):
    print()
    print(
        f"Account page (GET billing:account, {args.requests} requests each, "
        f"target: median < {TARGET_MS} ms)"
    )
    print(
        f"  {'database':<11} {'operations':>10} {'page':>5} {'median ms':>10} {'p95 ms':>8} "
        f"{'CPU ms':>7} {'queries':>8}  target"
    )
    missed = []
    for result in results:
        for row in result["account"]:
            ok = row["median_ms"] < TARGET_MS
            if not ok:
                missed.append(
                    f"{result['database']} {row['operations']:,} operations (page {row['page']})"
                )
            print(
                f"  {result['database']:<11} {row['operations']:>10,} {row['page']:>5} "
                f"{row['median_ms']:>10.1f} {row['p95_ms']:>8.1f} {row['cpu_median_ms']:>7.1f} "
                f"{row['queries']:>8}  "
                f"{'ok' if ok else 'MISSED'}"
            )
    print()
    print(f"Stored invoice PDF (GET billing:invoice-pdf, {args.requests} requests)")
    print(
        f"  {'database':<11} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} {'size kB':>8} "
        f"{'renders':>8}"
    )
    for result in results:
        pdf = result["pdf"]
        print(
            f"  {result['database']:<11} {pdf['median_ms']:>10.1f} {pdf['p95_ms']:>8.1f} "
            f"{pdf['cpu_median_ms']:>7.1f} {pdf['size_kb']:>8.1f} {pdf['renders']:>8}"
        )
    print()
    print(
        "Issuing invoices with their PDF (a month's invoicing: create_draft_invoice, then "
        "issue_invoices 100 at a time with one PDF process per core, no email; "
        f"target: {TARGET_INVOICES_PER_SECOND} invoices/s or more; CPU includes the PDF "
        "processes, and PDF is their share of it)"
    )
    print(
        f"  {'database':<11} {'invoices':>8} {'seconds':>8} {'invoices/s':>10} "
        f"{'ms each':>8} {'CPU ms each':>12} {'of which PDF':>13}"
    )
    for result in results:
        issue = result["issue"]
        print(
            f"  {result['database']:<11} {issue['count']:>8,} {issue['seconds']:>8.1f} "
            f"{issue['per_second']:>10.1f} {issue['ms_each']:>8.1f} "
            f"{issue['cpu_ms_each']:>12.1f} {issue['pdf_share']:>13.0%}  "
            f"{'ok' if issue['per_second'] >= TARGET_INVOICES_PER_SECOND else 'MISSED'}"
        )
    for result in results:
        issue = result["issue"]
        print(
            f"  {result['database']}: from the CPU times, about "
            f"{issue['idle_per_second']:.0f} invoices/s on an idle {os.cpu_count()}-core machine"
        )
    print()
    if missed:
        print("Above the account page target: " + ", ".join(missed) + ".")
        print("Compare the CPU column: when it is well under the target, the machine was busy.")
    else:
        print(f"Account page: every median under {TARGET_MS} ms.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000, help="invoices to issue")
    parser.add_argument("--requests", type=int, default=30, help="requests per page measured")
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--worker", nargs=3, metavar=("NAME", "URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args)
        return 0

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    VAR.mkdir(exist_ok=True)
    with_postgres = not args.no_postgres and postgres_answers()
    if not with_postgres and not args.no_postgres:
        print(f"PostgreSQL does not answer on {PG_HOST}:{PG_PORT}: measuring SQLite only.")
    results = []
    SQLITE_FILE.unlink(missing_ok=True)
    shutil.rmtree(PDF_FOLDER, ignore_errors=True)
    try:
        sqlite_invoices = min(args.invoices, SECONDARY_INVOICES) if with_postgres else args.invoices
        results.append(measure("SQLite", f"sqlite:///{SQLITE_FILE}", args, sqlite_invoices))
    finally:
        SQLITE_FILE.unlink(missing_ok=True)
    if with_postgres:
        postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        postgres_admin(f"CREATE DATABASE {PG_DATABASE}")
        try:
            results.append(measure("PostgreSQL", PG_URL, args, args.invoices))
        finally:
            postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    shutil.rmtree(PDF_FOLDER, ignore_errors=True)
    print_report(results, args)
    print(
        f"\nTotal time: {time.perf_counter() - started:.0f} s on {os.cpu_count()} CPUs; "
        f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        "(other work on the machine inflates the figures)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
