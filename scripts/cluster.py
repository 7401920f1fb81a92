"""`make cluster`: Portail Familles as a service, on the loopback.

PostgreSQL (scripts/ensure-postgres.sh), Redis, SeaweedFS (S3), localstripe, two gunicorn
instances, one task worker, two schedulers and nginx in front, each started from the files a
deployment uses: the commands are the ExecStart lines of deploy/systemd/*.service, the
environment is deploy/portail-familles.env.example with loopback values, and nginx's site is
deploy/nginx/portail-familles.conf rendered like envsubst does.

    python scripts/cluster.py start | stop | restart-web N | stop-web N
"""

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / "var" / "cluster"
DEPLOY = ROOT / "deploy"
PYTHON = ROOT / ".venv" / "bin" / "python"

NGINX_PORT = 18080
WEB_PORTS = {1: 18001, 2: 18002}
SEAWEEDFS_BASE = 18010  # eight ports: 18010-18017, S3 on 18016
S3_PORT = SEAWEEDFS_BASE + 6
LOCALSTRIPE_PORT = 18030
REDIS_PORT = 18040  # only when no Redis answers on 6379
DATABASE = "pf_cluster"
BUCKET = "portail-cluster"
REDIS_DB = 8
NGINX_URL = f"http://127.0.0.1:{NGINX_PORT}"


def web_url(instance):
    return f"http://127.0.0.1:{WEB_PORTS[instance]}"


STARTED = time.monotonic()


def log(message):
    print(f"[cluster {time.monotonic() - STARTED:5.0f} s] {message}", flush=True)


# --- Environment ---------------------------------------------------------------------------


def read_env_file(path):
    values = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def secret(name, maker):
    """A value made once per cluster folder (keys, passwords), kept for later runs."""
    path = STATE / "secrets.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    if name not in known:
        known[name] = maker()
        path.write_text(json.dumps(known))
    return known[name]


def redis_url():
    for url in (f"redis://127.0.0.1:6379/{REDIS_DB}", f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}"):
        host_port = url.split("//")[1].split("/")[0]
        if (
            subprocess.run(  # noqa: S603
                ["redis-cli", "-u", url, "ping"], capture_output=True, text=True, check=False
            ).stdout.strip()
            == "PONG"
        ):
            return url
        if host_port.endswith(str(REDIS_PORT)):
            break
    return None


def cluster_env():
    """deploy/portail-familles.env.example, with the loopback cluster's values."""
    from cryptography.fernet import Fernet

    env = read_env_file(DEPLOY / "portail-familles.env.example")
    stripe = f"http://127.0.0.1:{LOCALSTRIPE_PORT}"
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.cluster",
        SECRET_KEY=secret("SECRET_KEY", lambda: secrets.token_urlsafe(60)),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_CSRF_TRUSTED_ORIGINS=NGINX_URL,
        SITE_URL=NGINX_URL,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        REDIS_URL=redis_url() or f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}",
        CACHE_KEY_PREFIX="pf-cluster",
        S3_BUCKET=BUCKET,
        S3_ENDPOINT_URL=f"http://127.0.0.1:{S3_PORT}",
        S3_ACCESS_KEY_ID="portail-cluster",
        S3_SECRET_ACCESS_KEY=secret("S3_SECRET_ACCESS_KEY", lambda: secrets.token_hex(20)),
        S3_REGION="us-east-1",
        FAMILY_FILE_ENCRYPTION_KEYS=secret("FAMILY", lambda: Fernet.generate_key().decode()),
        IBAN_ENCRYPTION_KEYS=secret("IBAN", lambda: Fernet.generate_key().decode()),
        STRIPE_SECRET_KEY="sk_test_cluster",
        STRIPE_PUBLISHABLE_KEY="pk_test_cluster",
        STRIPE_WEBHOOK_SECRET="whsec_cluster",  # noqa: S106
        STRIPE_API_BASE=stripe,
        STRIPE_JS_URL=f"{stripe}/js.stripe.com/v3/",
        # Plain HTTP on the loopback: no HTTPS redirect, no Secure-only cookies.
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_SECURE_HSTS_SECONDS="0",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(STATE / "emails"),
        # Local folders that must stay empty: every file goes to the bucket.
        PRIVATE_STORAGE_ROOT=str(STATE / "private"),
        MEDIA_ROOT=str(STATE / "media"),
        STATIC_ROOT=str(STATE / "static"),
        SENTRY_DSN="",
        AXES_IPWARE_PROXY_COUNT="1",
        WEB_WORKERS="2",
        WORKER_INTERVAL="1",
        SCHEDULER_INTERVAL="3",
        CERTIFICATE_PDF_WORKERS="1",
        INVOICE_PDF_WORKERS="1",
    )
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(STATE), **env}


# --- systemd units and the nginx site, rendered ----------------------------------------------


def unit_command(unit, instance=""):
    """The ExecStart line of a shipped unit, with this checkout and the environment."""
    text = (DEPLOY / "systemd" / unit).read_text()
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    command = line.removeprefix("ExecStart=").replace("/opt/portail-familles", str(ROOT))
    command = command.replace("%i", str(instance))
    env = cluster_env()
    command = re.sub(r"\$\{(\w+)\}", lambda m: env[m[1]], command)
    return shlex.split(command)


def render(template, values):
    """What `envsubst '${A} ${B}'` does: only the named variables are replaced."""
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m[1], m[0]), template)


def nginx_config():
    folder = STATE / "nginx"
    for sub in ("logs", "temp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "temp").chmod(0o777)
    site = render(
        (DEPLOY / "nginx" / "portail-familles.conf").read_text(),
        {
            "LISTEN": f"127.0.0.1:{NGINX_PORT}",
            "SERVER_NAME": "127.0.0.1 localhost",
            "UPSTREAM_1": f"127.0.0.1:{WEB_PORTS[1]}",
            "UPSTREAM_2": f"127.0.0.1:{WEB_PORTS[2]}",
        },
    )
    (folder / "site.conf").write_text(site)
    temp = folder / "temp"
    main = f"""daemon off;
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {folder}/logs/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {folder}/site.conf;
}}
"""
    (folder / "nginx.conf").write_text(main)
    return folder / "nginx.conf"


# --- Processes -----------------------------------------------------------------------------


def pid_file(name):
    return STATE / "pids" / f"{name}.pid"


def running(name):
    path = pid_file(name)
    if not path.exists():
        return None
    pid = int(path.read_text())
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def spawn(name, command, env=None):
    if running(name):
        return
    (STATE / "pids").mkdir(parents=True, exist_ok=True)
    (STATE / "logs").mkdir(parents=True, exist_ok=True)
    logfile = (STATE / "logs" / f"{name}.log").open("ab")
    process = subprocess.Popen(  # noqa: S603 - our own commands
        command,
        cwd=ROOT,
        env=env or cluster_env(),
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    pid_file(name).write_text(str(process.pid))
    log(f"{name} started (pid {process.pid})")


def stop(name, timeout=40):
    pid = running(name)
    if pid is None:
        pid_file(name).unlink(missing_ok=True)
        return
    # Its own process group: gunicorn's workers, nginx's workers go with it.
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.killpg(pid, signal.SIGKILL)
    pid_file(name).unlink(missing_ok=True)
    log(f"{name} stopped")


def wait_http(url, timeout=120, expect=(200,)):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status in expect:
                    return
        except urllib.error.HTTPError as error:
            if error.code in expect:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in {timeout} s")


def manage(*args):
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=cluster_env(), check=True)  # noqa: S603


def start_web(instance):
    spawn(f"web{instance}", unit_command("portail-familles-web@.service", WEB_PORTS[instance]))
    wait_http(f"{web_url(instance)}/sante/vivant/")


def start():
    STATE.mkdir(parents=True, exist_ok=True)
    for folder in ("private", "media", "emails"):
        (STATE / folder).mkdir(exist_ok=True)
    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-postgres.sh")], check=True)  # noqa: S603, S607
    # A cluster whose proxy runs is reused as it is; otherwise everything starts afresh.
    fresh = not running("nginx")
    if fresh:
        stop_all()
    if redis_url() is None:
        spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        time.sleep(1)
    env = cluster_env()
    subprocess.run(  # noqa: S603
        [
            "bash",
            str(ROOT / "scripts" / "ensure-seaweedfs.sh"),
            str(STATE / "seaweedfs"),
            str(SEAWEEDFS_BASE),
        ],
        env=env,
        check=True,
    )
    spawn(
        "localstripe",
        [
            str(ROOT / ".venv" / "bin" / "localstripe"),
            "--port",
            str(LOCALSTRIPE_PORT),
            "--from-scratch",
        ],
    )
    wait_http(f"http://127.0.0.1:{LOCALSTRIPE_PORT}/js.stripe.com/v3/")
    if fresh:
        log(f"fresh database {DATABASE}, bucket {BUCKET}, Redis db {REDIS_DB}")
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE],  # noqa: S603, S607
            check=True,
        )
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)  # noqa: S603, S607
        subprocess.run(
            ["redis-cli", "-u", env["REDIS_URL"], "flushdb"],
            check=True,  # noqa: S603, S607
            capture_output=True,
        )
        empty_bucket(env)
        for folder in ("private", "media"):
            shutil.rmtree(STATE / folder, ignore_errors=True)
            (STATE / folder).mkdir()
        manage("migrate", "--noinput", "-v", "0")
        log("migrated")
        manage("load_demo_data", "--force")
        log("demo data loaded")
        manage("collectstatic", "--noinput", "-v", "0")
        log("static files collected")
    start_web(1)
    start_web(2)
    spawn("worker", unit_command("portail-familles-worker.service"))
    spawn("scheduler1", unit_command("portail-familles-scheduler.service"))
    spawn("scheduler2", unit_command("portail-familles-scheduler.service"))
    config = nginx_config()
    subprocess.run(["nginx", "-t", "-q", "-c", str(config)], check=True)  # noqa: S603, S607
    spawn("nginx", ["nginx", "-c", str(config)])
    wait_http(f"{NGINX_URL}/sante/pret/")
    log(f"ready: {NGINX_URL}/ (web {WEB_PORTS[1]} and {WEB_PORTS[2]}, S3 {S3_PORT})")


def s3_client(env):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        aws_access_key_id=env["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["S3_SECRET_ACCESS_KEY"],
        region_name=env["S3_REGION"],
    )


def empty_bucket(env):
    from botocore.exceptions import ClientError

    client = s3_client(env)
    for _ in range(60):  # the S3 port answers a little before the filer behind it
        try:
            names = [bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])]
            break
        except ClientError:
            time.sleep(1)
    else:
        raise SystemExit("SeaweedFS does not list its buckets")
    if BUCKET in names:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for page in pages:
            for item in page.get("Contents", []):
                client.delete_object(Bucket=BUCKET, Key=item["Key"])
    else:
        client.create_bucket(Bucket=BUCKET)


def stop_all():
    for name in (
        "nginx",
        "scheduler1",
        "scheduler2",
        "worker",
        "web1",
        "web2",
        "localstripe",
        "redis",
    ):
        stop(name)
    weed_pid = STATE / "seaweedfs" / "weed.pid"
    if weed_pid.exists():
        pid = int(weed_pid.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
            # It flushes its volumes first: wait, so that a new start finds its ports free.
            for _ in range(600):
                os.kill(pid, 0)
                time.sleep(0.1)
        except OSError:
            log(f"seaweedfs stopped (pid {pid})")
        weed_pid.unlink()


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "start"
    if action == "start":
        start()
    elif action == "stop":
        stop_all()
    elif action == "stop-web":
        stop(f"web{sys.argv[2]}")
    elif action == "start-web":
        start_web(int(sys.argv[2]))
    else:
        raise SystemExit(__doc__)
