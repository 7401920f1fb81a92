"""`make run`'s server script: its own ports, refused when taken, everything stopped on SIGTERM.

Runs the real script (runserver and localstripe) against an empty SQLite file: what is
checked is the processes and their ports, not the pages.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "run-dev.sh"

pytestmark = pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "localstripe").exists(), reason="needs `make install`"
)


def free_port_pair():
    """A free port P whose localstripe port P + 420 is free too."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 420 < 65536 and port_is_free(port) and port_is_free(port + 420):
            return port
    raise AssertionError("no free pair of ports")


def port_is_free(port):
    """Nothing listens on it (connections of a stopped server left in TIME_WAIT do not count,
    as for the servers, which bind with SO_REUSEADDR).
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def environment(tmp_path, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DJANGO_"))}
    env.pop("LOCALSTRIPE_PORT", None)
    env.pop("SITE_URL", None)
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}")
    return env


def check_ports(tmp_path, port):
    return subprocess.run(  # noqa: S603 - our own script
        ["bash", str(SCRIPT), "--check-ports"],  # noqa: S607
        env=environment(tmp_path, port),
        capture_output=True,
        text=True,
        timeout=60,
    )


def wait_for_200(url, deadline):
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer in time")


def test_the_server_and_localstripe_use_their_own_ports_and_stop_on_sigterm(tmp_path):
    port = free_port_pair()
    process = subprocess.Popen(  # noqa: S603 - our own script
        ["bash", str(SCRIPT)],  # noqa: S607
        env=environment(tmp_path, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        wait_for_200(f"http://127.0.0.1:{port}/static/favicon.svg", deadline)
        # localstripe on PORT + 420, serving the Stripe.js stand-in.
        wait_for_200(f"http://127.0.0.1:{port + 420}/js.stripe.com/v3/", deadline)

        # A second checkout on the same PORT is refused, with what to do.
        same = check_ports(tmp_path, port)
        assert same.returncode == 1
        assert f"Port {port} (the portal) is already in use" in same.stderr
        assert "PORT=<free port> make run" in same.stderr
        # On another PORT it gets another localstripe port, free, while this one runs.
        other = free_port_pair()
        assert check_ports(tmp_path, other).returncode == 0
        assert other + 420 != port + 420

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = process.stdout.read()
    assert f"localstripe on http://127.0.0.1:{port + 420}" in output
    # Both servers are gone, their ports free again.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (port_is_free(port) and port_is_free(port + 420)):
        time.sleep(0.2)
    assert port_is_free(port) and port_is_free(port + 420)


def test_a_localstripe_port_taken_by_another_program_is_refused(tmp_path):
    port = free_port_pair()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port + 420))
        squatter.listen()
        result = check_ports(tmp_path, port)
    assert result.returncode == 1
    assert f"Port {port + 420} (localstripe) is already in use" in result.stderr
    assert "LOCALSTRIPE_PORT=<free port> make run" in result.stderr


def test_missing_debian_packages_are_shown_not_installed_with_sudo(tmp_path):
    """Not root: the command to run is printed and make stops; sudo is never called."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, body in {
        "id": "echo 1000",
        "ldconfig": "true",  # no Pango known to the linker
        "sudo": f"touch {tmp_path / 'sudo-called'}",
        "apt-get": f"touch {tmp_path / 'apt-called'}",
    }.items():
        (stubs / name).write_text(f"#!/bin/sh\n{body}\n")
        (stubs / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}"}

    result = subprocess.run(  # noqa: S603 - our own script
        ["bash", str(ROOT / "scripts" / "system-deps.sh"), "run"],  # noqa: S607
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1
    assert "libpango-1.0-0 libpangoft2-1.0-0" in result.stderr
    assert "sudo apt-get update && sudo apt-get install" in result.stderr
    # What only the tests need is not asked for by `make run`.
    assert "chromium" not in result.stderr and "gettext" not in result.stderr
    assert not (tmp_path / "sudo-called").exists() and not (tmp_path / "apt-called").exists()
