"""Throughput of the site over HTTP, the way a server runs it: `make bench` (not a test).

gunicorn with 2 workers and the production settings (bench/http_settings.py: production plus
a hello-world view) on the loopback over plain HTTP, PostgreSQL on a scratch database with
persistent connections, the demo data plus a family with 2,000 operations. Families log in
through the real login form; wrk (Debian package) then loads each page with 8 connections.

The machine is shared, so absolute figures move with what else runs: the pages are measured
in interleaved rounds (every page once per round, the order rotating), and each page is
reported as its share of the hello-world figure of the same round, the median over rounds.
A last run holds the demo account page at 32 connections for 60 seconds.
"""

import sys
from pathlib import Path

# This file is named like the standard library's `http` package, which urllib imports: run as
# a script, its folder must not come first on the import path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

import argparse  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402

ROOT = HERE.parent
VAR = ROOT / "var" / "bench-http"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PG_HOST, PG_PORT = "127.0.0.1", 5432
PARENT_PASSWORD = "Vacances-Loisirs-2026"  # noqa: S105 - the published demo password
HISTORY = 2000

# (key, label, target share of hello-world, whose session: None = anonymous)
PAGES = [
    ("hello", "hello-world view", None, None),
    ("pdf", "stored invoice PDF", 0.25, "demo"),
    ("account", "account page, demo family", 0.15, "demo"),
    ("account_2000", f"account page, {HISTORY:,} operations", 0.10, "history"),
    ("library", "Imprimés (anonymous)", 0.30, None),
    ("home", "public home page (anonymous)", 0.30, None),
    ("calendar", "reservations calendar", 0.06, "demo"),
]

WRK_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local not_ok = 0
  for _, thread in ipairs(threads) do not_ok = not_ok + thread:get("bad") end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "not_ok": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, not_ok))
end
"""


def redis_answers(url):
    host_port = url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=1):
            return True
    except OSError:
        return False


def fernet_key():
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def bench_env(database_url, port, redis_url=""):
    """The environment a deployment would give gunicorn, adapted to plain HTTP on the loopback."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.http_settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        # Keys of this run's own: production refuses to start without the family file's, and
        # the demo data records direct-debit mandates, whose IBANs are stored encrypted.
        "FAMILY_FILE_ENCRYPTION_KEYS": fernet_key(),
        "IBAN_ENCRYPTION_KEYS": fernet_key(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60"),
        "STATIC_ROOT": str(VAR / "static"),
        "MEDIA_ROOT": str(VAR / "media"),
        "PRIVATE_STORAGE_ROOT": str(VAR / "private"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        env.pop(name, None)
    env.pop("REDIS_URL", None)
    if redis_url:
        # The shared cache of a deployment, with keys of this run's own.
        env["REDIS_URL"] = redis_url
        env["CACHE_KEY_PREFIX"] = f"bench-http-{secrets.token_hex(4)}"
    return env


def postgres_admin(statement):
    import psycopg

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(statement)


def manage(env, *args):
    """A management command, its chatter (WeasyPrint's font subsetting) kept in a log file."""
    log = VAR / "setup.log"
    with log.open("a") as handle:
        done = subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env, stdout=handle, stderr=handle
        )
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed; see {log}")


# --- Data, in a child process set up on the benchmark's settings -------------------------------


def prepare(out):
    """The pages' URLs once the demo data and a long-history family exist."""
    import django

    django.setup()
    from django.urls import reverse

    from bench.scenarios import fill_history, make_family
    from billing.models import Invoice
    from parents.models import Family
    from reservations.models import Period

    demo = Family.objects.get(guardians__user__username="parent.demo")
    family, child, user = make_family(demo.structure, f"H{HISTORY}")
    user.set_password(PARENT_PASSWORD)
    user.save(update_fields=["password"])
    fill_history(family, child, HISTORY)
    invoice = Invoice.objects.for_family(demo).exclude(pdf="").order_by("-pk").first()
    demo_child = demo.children.order_by("pk").first()
    period = Period.objects.filter(kind=Period.Kind.HOLIDAYS).order_by("pk").first()
    urls = {
        "hello": "/__bench__/hello/",
        "pdf": reverse("billing:invoice-pdf", args=[invoice.pk]),
        "account": reverse("billing:account"),
        "account_2000": reverse("billing:account"),
        "library": "/brax/imprimes/",
        "home": "/",
        "calendar": reverse("reservations:calendar", args=[demo_child.pk, period.pk]),
    }
    Path(out).write_text(json.dumps({"urls": urls, "history_login": user.username}))


# --- HTTP -------------------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(base, path, cookies=None, data=None):
    """One request without following redirects: (status, body, cookies set)."""
    headers = {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(base + path, data=body, headers=headers)  # noqa: S310
    try:
        response = OPENER.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        response = error
    set_cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        set_cookies[name.strip()] = rest.split(";", 1)[0]
    return response.status, response.read(), set_cookies


def log_in(base, username):
    """Through the real form: the CSRF cookie and token, then the POST; the session cookie."""
    login = "/espace-famille/connexion/"
    status, body, cookies = http(base, login)
    assert status == 200, f"login page: {status}"
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    status, body, set_cookies = http(
        base,
        login,
        cookies=cookies,
        data={"csrfmiddlewaretoken": token, "username": username, "password": PARENT_PASSWORD},
    )
    cookies.update(set_cookies)
    assert status == 302 and "sessionid" in cookies, f"login of {username} failed: {status}"
    return cookies


def wait_for(port, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port}")


def wrk(url, cookies, connections, seconds, script):
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    command += ["--timeout", "10s", "-s", script]
    if cookies:
        command += ["-H", "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())]
    output = subprocess.run(  # noqa: S603
        [*command, url], check=True, capture_output=True, text=True
    ).stdout
    result = json.loads(output.split("WRK-RESULT ", 1)[1].splitlines()[0])
    return {
        "rps": result["requests"] / (result["duration_us"] / 1e6),
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "errors": result["socket_errors"] + result["not_ok"],
    }


# --- Run --------------------------------------------------------------------------------------


def run(args):
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: run `bash scripts/bench-deps.sh` (make bench does).")
    database_url = f"postgres://postgres@{PG_HOST}:{PG_PORT}/{args.database}"
    redis_url = "" if args.no_redis else args.redis_url
    if redis_url and not redis_answers(redis_url):
        print(f"Redis does not answer at {redis_url}: the local in-memory cache is used.")
        redis_url = ""
    env = bench_env(database_url, args.port, redis_url)
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    started = time.perf_counter()
    print(
        f"== HTTP benchmark: preparing database {args.database}; cache: "
        + (f"Redis at {redis_url}" if redis_url else "local memory"),
        flush=True,
    )
    postgres_admin(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    postgres_admin(f'CREATE DATABASE "{args.database}"')
    gunicorn = None
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        manage(env, "load_demo_data", "--force", "-v", "0")
        data_file = VAR / "pages.json"
        subprocess.run(  # noqa: S603
            [PYTHON, __file__, "--prepare", str(data_file)], check=True, cwd=ROOT, env=env
        )
        data = json.loads(data_file.read_text())
        print(f"   ready in {time.perf_counter() - started:.0f} s; starting gunicorn", flush=True)
        gunicorn = subprocess.Popen(  # noqa: S603
            [GUNICORN, "--workers", "2", "--bind", f"127.0.0.1:{args.port}", "config.wsgi"],
            cwd=ROOT,
            env=env,
        )
        wait_for(args.port)
        base = f"http://127.0.0.1:{args.port}"
        sessions = {
            None: {},
            "demo": log_in(base, "parent.demo"),
            "history": log_in(base, data["history_login"]),
        }
        pages = [p for p in PAGES if not args.pages or p[0] in args.pages or p[0] == "hello"]
        for key, label, _target, who in pages:
            status, body, _ = http(base, data["urls"][key], cookies=sessions[who])
            assert status == 200, f"{label}: HTTP {status}"
        results = measure_rounds(base, data["urls"], sessions, pages, args)
        report(results, pages, args)
        if args.long_seconds:
            print(
                f"\nDemo account page, 32 connections for {args.long_seconds} s:",
                flush=True,
            )
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(WRK_SCRIPT)
            figures = wrk(
                base + data["urls"]["account"],
                sessions["demo"],
                32,
                args.long_seconds,
                script.name,
            )
            os.unlink(script.name)
            verdict = "ok" if figures["errors"] == 0 and figures["p99_ms"] < 1000 else "MISSED"
            print(
                f"  {figures['rps']:.0f} req/s, p50 {figures['p50_ms']:.0f} ms, "
                f"p99 {figures['p99_ms']:.0f} ms, {figures['errors']} errors  "
                f"(target: 0 errors, p99 < 1 s: {verdict})"
            )
    finally:
        if gunicorn:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        if not args.keep:
            postgres_admin(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    print(f"\nHTTP benchmark done in {time.perf_counter() - started:.0f} s.")


def measure_rounds(base, urls, sessions, pages, args):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    results = {key: [] for key, *_ in pages}
    try:
        for round_number in range(args.rounds):
            # The order rotates so that no page always follows the same one.
            shift = round_number % len(pages)
            order = pages[shift:] + pages[:shift]
            for key, _label, _target, who in order:
                results[key].append(
                    wrk(base + urls[key], sessions[who], 8, args.seconds, script.name)
                )
            hello = results["hello"][-1]["rps"]
            print(
                f"   round {round_number + 1}/{args.rounds}: hello-world {hello:,.0f} req/s, "
                + ", ".join(f"{key} {results[key][-1]['rps']:,.0f}" for key, *_ in pages[1:]),
                flush=True,
            )
    finally:
        os.unlink(script.name)
    return results


def report(results, pages, args):
    load = os.getloadavg()
    print()
    print(
        f"Pages over HTTP: gunicorn 2 workers, wrk 8 connections, {args.rounds} interleaved "
        f"rounds of {args.seconds} s per page (load average {load[0]:.1f} at the end)"
    )
    print(
        f"  {'page':<34} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'share':>6}  target"
    )
    hello_rounds = [r["rps"] for r in results["hello"]]
    for key, label, target, _who in pages:
        rounds = results[key]
        shares = [r["rps"] / h for r, h in zip(rounds, hello_rounds, strict=True)]
        share = statistics.median(shares)
        verdict = ""
        if target is not None:
            verdict = f"≥ {target:.0%}: {'ok' if share >= target else 'MISSED'}"
        print(
            f"  {label:<34} {statistics.median(r['rps'] for r in rounds):>7,.0f} "
            f"{statistics.median(r['p50_ms'] for r in rounds):>7.1f} "
            f"{statistics.median(r['p99_ms'] for r in rounds):>7.1f} "
            f"{sum(r['errors'] for r in rounds):>6} {share:>6.1%}  {verdict}"
        )
    print(
        "  req/s, p50 and p99 are medians over rounds; the share is the median of each round's "
        "req/s over that round's hello-world req/s."
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per page and round")
    parser.add_argument("--long-seconds", type=int, default=60, help="0: no 32-connection run")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_HTTP_PORT", 8017)))
    parser.add_argument(
        "--database", default=os.environ.get("BENCH_HTTP_DATABASE", "portail_bench_http")
    )
    parser.add_argument("--pages", nargs="*", help="only these pages (keys), with hello-world")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the shared cache, when it answers",
    )
    parser.add_argument("--no-redis", action="store_true", help="the local in-memory cache")
    parser.add_argument("--prepare", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        sys.path.insert(0, str(ROOT))
        prepare(args.prepare)
        return 0
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
