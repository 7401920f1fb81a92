"""`make cluster-check`: what running as a service promises, proved on the cluster of
`make cluster` (scripts/cluster.py), through nginx and across the two instances.

Prints one "ok …" line per check, and the requests per second through nginx with one and
with two instances; exits 1 at the first check that fails.
"""

import json
import os
import re
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cluster  # noqa: E402

os.environ.update(cluster.cluster_env())

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

import requests  # noqa: E402

from billing.ledger.services import LineData, create_draft_invoice, family_balance  # noqa: E402
from billing.models import Category, Invoice, PaymentAttempt, StripeEvent  # noqa: E402
from core.money import format_euros  # noqa: E402
from operations.models import TaskRun  # noqa: E402
from parents import demo  # noqa: E402
from parents.models import Family  # noqa: E402

WEB1, WEB2, NGINX = cluster.web_url(1), cluster.web_url(2), cluster.NGINX_URL
STRIPE = f"http://127.0.0.1:{cluster.LOCALSTRIPE_PORT}"
WRK_SECONDS = 30


def ok(message):
    print(f"ok {message}", flush=True)


def fail(message):
    print(f"FAILED {message}", flush=True)
    raise SystemExit(1)


def check(condition, message):
    if not condition:
        fail(message)


def login(base, username, password, path):
    session = requests.Session()
    url = base + path
    session.get(url, timeout=30)
    response = session.post(
        url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": url},
        timeout=30,
    )
    check(response.status_code == 200, f"login of {username} on {base}: {response.status_code}")
    return session


def post(session, url, **kwargs):
    headers = {"X-CSRFToken": session.cookies.get("csrftoken", ""), "Referer": url}
    return session.post(url, headers=headers, timeout=60, **kwargs)


def check_login_continues():
    parent = login(WEB1, "parent.demo", demo.PARENT_PASSWORD, reverse("parents:login"))
    account = reverse("billing:account")
    for base, name in ((WEB2, "instance 2"), (NGINX, "nginx")):
        response = parent.get(base + account, allow_redirects=False, timeout=30)
        check(
            response.status_code == 200 and "DUPONT" in response.text,
            f"the session opened on instance 1 is not known to {name}: {response.status_code}",
        )
    ok("login on instance 1 continues on instance 2 and through nginx (shared Redis sessions)")
    return parent


def director_session(base):
    import base64

    from django_otp.oath import TOTP

    session = login(base, "directeur.demo", demo.DIRECTOR_PASSWORD, "/admin/login/")
    key = base64.b32decode(demo.DIRECTOR_TOTP_SECRET)
    verify = base + reverse("otp:verify")
    session.get(verify, timeout=30)
    response = post(session, verify, data={"code": f"{TOTP(key).token():06d}"})
    check(response.status_code == 200, f"second factor refused: {response.status_code}")
    return session


def check_invoice_across_instances(parent):
    family = Family.objects.get(reference=demo_reference())
    draft = create_draft_invoice(
        family,
        [
            LineData(
                label="Journée cluster",
                service_date=timezone.localdate(),
                quantity=Decimal("1"),
                unit_price=Decimal("12.40"),
                category=Category.GARDE,
                child=None,
            )
        ],
    )
    # The account page, kept in the shared cache by instance 2 (core.page_cache), must show
    # the invoice instance 1 issues.
    account = WEB2 + reverse("billing:account")
    for _ in range(3):
        parent.get(account, timeout=30)
    director = director_session(WEB1)
    response = post(director, WEB1 + reverse("invoices:issue", args=[draft.pk]))
    invoice = Invoice.objects.get(pk=draft.pk)
    check(invoice.number and invoice.pdf.name, f"invoice not issued on instance 1 ({response})")
    check(
        f"Facture {invoice.number}" in parent.get(account, timeout=30).text,
        "the account page on instance 2 does not show the invoice issued on instance 1",
    )
    pdf = parent.get(WEB2 + reverse("billing:invoice-pdf", args=[invoice.pk]), timeout=60)
    check(
        pdf.status_code == 200 and pdf.content.startswith(b"%PDF"),
        f"invoice PDF through instance 2: {pdf.status_code}",
    )
    stored = s3().get_object(Bucket=cluster.BUCKET, Key=f"private/{invoice.pdf.name}")
    check(stored["Body"].read() == pdf.content, "the PDF downloaded differs from the bucket's")
    ok(
        f"invoice {invoice.number} issued through instance 1, on the account page and downloaded"
        " through instance 2"
    )
    return invoice, family


def demo_reference():
    return Family.objects.filter(guardians__user__username="parent.demo").get().reference


def check_webhook_on_second_instance(parent, family):
    requests.post(
        f"{STRIPE}/_config/webhooks/cluster",
        data={"url": WEB2 + "/paiement/stripe/webhook/", "secret": settings.STRIPE_WEBHOOK_SECRET},
        timeout=10,
    ).raise_for_status()
    due = family_balance(family)
    account = WEB1 + reverse("billing:account")
    for _ in range(3):
        check("Solde débiteur" in parent.get(account, timeout=30).text, "no balance due shown")
    response = post(parent, WEB1 + reverse("billing:payment"))
    check(response.status_code == 200, f"payment page on instance 1: {response.status_code}")
    attempt = PaymentAttempt.objects.open().filter(family=family).latest("pk")
    token = requests.post(
        f"{STRIPE}/v1/tokens",
        data={
            "key": settings.STRIPE_PUBLISHABLE_KEY,
            "card[number]": "4000002500003155",  # 3-D Secure: paid only once authenticated
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
        },
        timeout=10,
    ).json()
    answer = post(
        parent,
        WEB1 + reverse("billing:payment-confirm"),
        data=json.dumps({"attempt": attempt.pk, "payment_method": token["card"]["id"]}),
    ).json()
    check(answer.get("status") == "requires_action", f"confirm on instance 1 answered {answer}")
    attempt.refresh_from_db()
    intent = attempt.payment_intent_id
    requests.post(
        f"{STRIPE}/v1/payment_intents/{intent}/_authenticate",
        params={"success": "true"},
        data={"key": settings.STRIPE_PUBLISHABLE_KEY, "client_secret": answer["client_secret"]},
        timeout=10,
    ).raise_for_status()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        attempt.refresh_from_db()
        if attempt.status == PaymentAttempt.Status.SUCCEEDED:
            break
        time.sleep(0.5)
    check(attempt.status == PaymentAttempt.Status.SUCCEEDED, f"attempt {attempt.status}")
    check(
        StripeEvent.objects.filter(type="payment_intent.succeeded").exists(),
        "no payment_intent.succeeded webhook recorded",
    )
    log = (cluster.STATE / "logs" / "web2.log").read_text()
    check('"POST /paiement/stripe/webhook/ HTTP/1.1" 200' in log, "instance 2 saw no webhook")
    check(family_balance(family) == Decimal("0.00"), f"balance {family_balance(family)}")
    check(
        "Aucun solde dû" in parent.get(account, timeout=30).text,
        "the account page on instance 1 still shows the balance the webhook settled",
    )
    where = "started on instance 1, recorded by the webhook on instance 2, shown on instance 1"
    ok(f"payment of {format_euros(due)} {where}")


def wrk(seconds, session_cookie, path):
    output = subprocess.run(  # noqa: S603
        [
            "wrk",
            "-t2",
            "-c8",
            f"-d{seconds}s",
            "--timeout",
            "20s",
            "-H",
            f"Cookie: sessionid={session_cookie}",
            NGINX + path,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    total = int(re.search(r"(\d+) requests in", output)[1])
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return rate, total, int(non_2xx[1]) if non_2xx else 0, errors[1] if errors else ""


def check_no_request_lost(parent):
    cookie = parent.cookies["sessionid"]
    path = reverse("billing:account")

    def stop_and_restart():
        time.sleep(8)
        cluster.stop("web1")
        time.sleep(6)
        cluster.start_web(1)

    restart = threading.Thread(target=stop_and_restart)
    restart.start()
    rate, total, non_2xx, errors = wrk(WRK_SECONDS, cookie, path)
    restart.join()
    check(non_2xx == 0 and not errors, f"{non_2xx} non-2xx/3xx, socket errors: {errors}")
    ok(
        f"wrk {WRK_SECONDS} s through nginx while instance 1 stopped and restarted: "
        f"{total} requests, 0 non-2xx/3xx, 0 socket errors"
    )
    return cookie, path


def check_routine_tasks():
    runs = TaskRun.objects.values("task", "slot").annotate(n=Count("id"))
    check(all(run["n"] == 1 for run in runs), "a slot ran twice")
    ran = set(TaskRun.objects.values_list("task", flat=True))
    missing = set(settings.ROUTINE_TASKS) - ran
    check(not missing, f"never ran: {sorted(missing)}")
    failed = TaskRun.objects.filter(status=TaskRun.Status.FAILED).values_list("task", flat=True)
    check(not failed, f"failed: {sorted(set(failed))}")
    alive = [name for name in ("scheduler1", "scheduler2") if cluster.running(name)]
    check(len(alive) == 2, f"schedulers running: {alive}")
    hosts = TaskRun.objects.values("host").distinct().count()
    ok(
        f"routine tasks: {len(ran)} tasks, {TaskRun.objects.count()} runs, each slot once, "
        f"with 2 schedulers running (runs claimed by {hosts} of them)"
    )


def s3():
    return cluster.s3_client(cluster.cluster_env())


def check_files_in_bucket(invoice):
    keys = []
    for page in s3().get_paginator("list_objects_v2").paginate(Bucket=cluster.BUCKET):
        keys += [item["Key"] for item in page.get("Contents", [])]
    private = [key for key in keys if key.startswith("private/")]
    media = [key for key in keys if key.startswith("media/")]
    check(f"private/{invoice.pdf.name}" in keys, "the invoice is not in the bucket")
    on_disk = [
        path
        for folder in (settings.PRIVATE_STORAGE_ROOT, settings.MEDIA_ROOT)
        for path in Path(folder).rglob("*")
        if path.is_file()
    ]
    check(not on_disk, f"files on disk: {on_disk[:5]}")
    ok(f"files in the bucket ({len(private)} private, {len(media)} media), none on disk")


def measure(cookie, path):
    cluster.stop("web2")
    one = wrk(10, cookie, path)[0]
    cluster.start_web(2)
    time.sleep(2)
    two = wrk(10, cookie, path)[0]
    ok(f"req/s through nginx on {path}: one instance {one:.1f}, two instances {two:.1f}")


def main():
    parent = check_login_continues()
    invoice, family = check_invoice_across_instances(parent)
    check_webhook_on_second_instance(parent, family)
    cookie, path = check_no_request_lost(parent)
    check_routine_tasks()
    check_files_in_bucket(invoice)
    measure(cookie, path)


if __name__ == "__main__":
    main()
