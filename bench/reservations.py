"""Performance figures of bookings: `make bench` (not part of the test suite).

A structure with 400 children (one per family) and a 10-week holiday period (50 days, two
units), each child booked on 20 days. Measured on SQLite (a file under var/) and, when a
PostgreSQL server answers on 127.0.0.1:5432, on a scratch database there:

1. the parent calendar page of one child (median, p95, SQL queries; target: median < 80 ms);
2. a booking request (POST of one day, then the redirect is not followed);
3. invoicing a month for the 400 families (draft invoices, lines per child, unit, category).

Each database is measured in a child process, since Django is set up once per process.
"""

import argparse
import json
import os
import socket
import statistics
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
SQLITE_FILE = VAR / "bench-reservations.sqlite3"
PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_DATABASE = "portail_bench_reservations"
PG_URL = f"postgres://postgres@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
TARGET_MS = 80
CHILDREN = 400
WEEKS = 10
BOOKED_DAYS = 20
WARM_UP = 3


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


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


# --- Worker (one database, Django set up) ------------------------------------------------------


def build():
    """The structure, its brackets and prices, the period, 400 families and their bookings.

    Written in bulk: only the pages and the invoicing are measured, not this set-up.
    """
    from datetime import date, time, timedelta
    from decimal import Decimal

    from django.utils import timezone

    from parents.models import Association, Child, Family, Guardian, Structure, User
    from reservations import services
    from reservations.deadlines import PARIS
    from reservations.models import Booking, Period, Slot, TariffBracket, Unit, UnitPrice

    association = Association.objects.create(
        name="Loisirs Education & Citoyenneté Grand Sud",
        short_name="LE&C Grand Sud",
        address="12 allée des Sports\n31490 Brax",
        siret="42424242400017",
    )
    structure = Structure.objects.create(
        association=association, name="Commune de Brax", slug="brax", email="alsh@example.org"
    )
    brackets = [
        TariffBracket.objects.create(structure=structure, name=name, min_quotient=Decimal(low))
        for name, low in (("QF 0 à 600", "0"), ("QF 601 à 1000", "601"), ("QF > 1000", "1001"))
    ]
    today = timezone.now().astimezone(PARIS).date()
    # A whole month inside the period, starting on a Monday at least a week ahead.
    first = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    first += timedelta(days=(7 - first.weekday()) % 7)
    period = Period.objects.create(
        structure=structure,
        name="Vacances (banc d'essai)",
        kind=Period.Kind.HOLIDAYS,
        first_day=first,
        last_day=first + timedelta(weeks=WEEKS) - timedelta(days=3),
        weekdays="0,1,2,3,4",
        booking_opens_on=today - timedelta(days=7),
        booking_closes_on=first + timedelta(weeks=WEEKS),
        deadline_kind=Period.DeadlineKind.DAYS_BEFORE,
        deadline_days=2,
        deadline_time=time(10),
    )
    services.sync_period(period)
    units = []
    for order, (name, meal, prices) in enumerate(
        (
            ("Journée avec repas", True, ("9.50", "12.00", "14.50")),
            ("Matin sans repas", False, ("3.59", "4.50", "5.50")),
        )
    ):
        unit = Unit.objects.create(
            period=period,
            name=name,
            span="day" if meal else "morning",
            includes_meal=meal,
            default_capacity=CHILDREN,
            sort_order=order,
        )
        for bracket, price in zip(brackets, prices, strict=True):
            UnitPrice.objects.create(
                unit=unit, bracket=bracket, price=Decimal(price), meal_price=Decimal("3.20")
            )
        services.sync_unit(unit)
        units.append(unit)

    users = User.objects.bulk_create(
        # "!" is Django's mark of an unusable password: these logins are forced in.
        [User(username=f"parent-{n:03d}", password="!") for n in range(CHILDREN)]  # noqa: S106
    )
    families = Family.objects.bulk_create(
        [
            Family(structure=structure, reference=f"F{n:03d}", name=f"FAMILLE {n:03d}")
            for n in range(CHILDREN)
        ]
    )
    Guardian.objects.bulk_create(
        [
            Guardian(
                family=family,
                user=user,
                civility="Mme",
                first_name="Marie",
                last_name=family.name,
                email=f"{user.username}@example.org",
            )
            for family, user in zip(families, users, strict=True)
        ]
    )
    children = Child.objects.bulk_create(
        [
            Child(
                family=family, first_name="Léa", last_name=family.name, birth_date=date(2018, 6, 1)
            )
            for family in families
        ]
    )
    days = list(period.days.order_by("date"))
    slots = {
        (slot.day_id, slot.unit_id): slot
        for slot in Slot.objects.filter(day__period=period, age_group__isnull=True)
    }
    bookings = []
    for n, child in enumerate(children):
        for k in range(BOOKED_DAYS):
            day = days[(n + k * 2) % len(days)]
            unit = units[(n + k) % 2]
            bookings.append(
                Booking(slot=slots[(day.pk, unit.pk)], day=day, child=child, family=child.family)
            )
    Booking.objects.bulk_create(bookings, batch_size=1000, ignore_conflicts=True)
    return structure, period, units, days, slots, children, users, first


def timed(client, method, url, data_for, count, check):
    """Median, p95 and queries of `count` requests after a few unmeasured ones."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    samples, cpu, queries = [], [], []
    for index in range(WARM_UP + count):
        data = data_for(index)
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = getattr(client, method)(url, data) if data is not None else client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            elapsed_cpu = (time.process_time() - started_cpu) * 1000
        check(response)
        if index >= WARM_UP:
            samples.append(elapsed)
            cpu.append(elapsed_cpu)
            queries.append(len(captured))
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": percentile(samples, 0.95),
        "cpu_ms": statistics.median(cpu),
        "queries": sorted(set(queries)),
    }


def run_all(requests):
    from django.test import Client
    from django.urls import reverse

    from reservations import services
    from reservations.models import Booking

    started = time.perf_counter()
    structure, period, units, days, slots, children, users, first = build()
    print(f"   data built in {time.perf_counter() - started:.1f} s", flush=True)
    child, user = children[0], users[0]
    client = Client()
    client.force_login(user)
    url = reverse("reservations:calendar", args=(child.pk, period.pk))

    def page_ok(response):
        assert response.status_code == 200, response.status_code
        assert "Confirmer" in response.content.decode() or "Valider" in response.content.decode()

    calendar = timed(client, "get", url, lambda index: None, requests, page_ok)
    print(f"   calendar page: median {calendar['median_ms']:.1f} ms", flush=True)

    booked_days = set(Booking.objects.filter(child=child).values_list("day_id", flat=True))
    free = [day for day in days if day.pk not in booked_days]
    free_slots = [slots[(day.pk, units[0].pk)] for day in free]
    if len(free_slots) < WARM_UP + requests:
        raise SystemExit("Not enough free days for the booking requests.")

    def post_ok(response):
        assert response.status_code == 302, response.status_code

    booking = timed(
        client, "post", url, lambda index: {"book": [free_slots[index].pk]}, requests, post_ok
    )
    made = Booking.objects.filter(child=child, status="booked").count()
    assert made == BOOKED_DAYS + WARM_UP + requests, made
    print(f"   booking request: median {booking['median_ms']:.1f} ms", flush=True)

    started = time.perf_counter()
    run = services.invoice_month(structure, first.year, first.month)
    seconds = time.perf_counter() - started
    assert not run.errors, run.errors
    lines = sum(invoice.lines.count() for invoice in run.created)
    print(f"   invoicing: {len(run.created)} invoices in {seconds:.1f} s", flush=True)
    again = time.perf_counter()
    second = services.invoice_month(structure, first.year, first.month)
    return {
        "calendar": calendar,
        "booking": booking,
        "invoicing": {
            "families": len(run.created),
            "lines": lines,
            "seconds": seconds,
            "second_run_created": len(second.created),
            "second_run_seconds": time.perf_counter() - again,
        },
    }


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

    print(f"== {name}: migrating", flush=True)
    call_command("migrate", verbosity=0)
    figures = run_all(args.requests)
    figures["database"] = name
    Path(out).write_text(json.dumps(figures))


# --- Driver ------------------------------------------------------------------------------------


def measure(name, url, args):
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
            f"--requests={args.requests}",
        ]
        subprocess.run(command, check=True, cwd=ROOT)  # noqa: S603
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def print_report(results, args):
    print()
    print(
        f"Bookings: {CHILDREN} children, {WEEKS}-week period (50 days, 2 units), "
        f"{BOOKED_DAYS} days booked each; {args.requests} requests measured each "
        f"(target: median < {TARGET_MS} ms)"
    )
    print(
        f"  {'database':<11} {'request':<28} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} "
        f"{'queries':>8}  target"
    )
    missed = []
    for result in results:
        for key, title in (
            ("calendar", "calendar page (GET)"),
            ("booking", "booking one day (POST)"),
        ):
            row = result[key]
            ok = row["median_ms"] < TARGET_MS
            if not ok:
                missed.append(f"{result['database']} {title}")
            queries = "/".join(str(q) for q in row["queries"])
            print(
                f"  {result['database']:<11} {title:<28} {row['median_ms']:>10.1f} "
                f"{row['p95_ms']:>8.1f} {row['cpu_ms']:>7.1f} {queries:>8}  "
                f"{'ok' if ok else 'MISSED'}"
            )
    print()
    print("Invoicing a month from bookings (invoice_month: one draft per family)")
    print(f"  {'database':<11} {'invoices':>8} {'lines':>7} {'seconds':>8} {'ms each':>8}  again")
    for result in results:
        row = result["invoicing"]
        each = row["seconds"] * 1000 / max(row["families"], 1)
        print(
            f"  {result['database']:<11} {row['families']:>8} {row['lines']:>7} "
            f"{row['seconds']:>8.1f} {each:>8.1f}  {row['second_run_created']} created in "
            f"{row['second_run_seconds']:.2f} s"
        )
    print()
    if missed:
        print("Above the target: " + ", ".join(missed) + ".")
        print(
            "The CPU column is the time the server process itself spent: when it is well "
            "under the median, the machine was busy with other work."
        )
    else:
        print(f"Bookings: every median under {TARGET_MS} ms; query counts do not grow with data.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=25, help="requests per measure")
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--worker", nargs=3, metavar=("NAME", "URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args)
        return 0
    started = time.perf_counter()
    VAR.mkdir(exist_ok=True)
    with_postgres = not args.no_postgres and postgres_answers()
    if not with_postgres and not args.no_postgres:
        print(f"PostgreSQL does not answer on {PG_HOST}:{PG_PORT}: measuring SQLite only.")
    results = []
    SQLITE_FILE.unlink(missing_ok=True)
    try:
        results.append(measure("SQLite", f"sqlite:///{SQLITE_FILE}", args))
    finally:
        SQLITE_FILE.unlink(missing_ok=True)
    if with_postgres:
        postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        postgres_admin(f"CREATE DATABASE {PG_DATABASE}")
        try:
            results.append(measure("PostgreSQL", PG_URL, args))
        finally:
            postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    print_report(results, args)
    elapsed = time.perf_counter() - started
    print(f"\nTotal time: {elapsed:.0f} s; load average {os.getloadavg()[0]:.1f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
