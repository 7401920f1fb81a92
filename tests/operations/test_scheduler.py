import threading
from datetime import UTC, datetime, time, timedelta

from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

import pytest

from operations.models import TaskRun
from operations.schedule import RoutineTask
from operations.services import run_due_tasks

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 4, 11, 7, tzinfo=UTC)  # 12:07 in Paris


@pytest.fixture
def schedule(settings):
    settings.ROUTINE_TASKS = {
        "clearsessions": {"every": "5m"},
        "hourly_purge": {"command": "clearsessions", "every": "1h"},
        "failing": {"command": "invoice_bookings", "every": "1d", "at": "02:00", "args": ["x"]},
    }


def test_slots_are_the_start_of_each_period():
    five = RoutineTask("t", "c", "5m")
    assert five.slot(NOON) == datetime(2026, 11, 4, 11, 5, tzinfo=UTC)
    daily = RoutineTask("t", "c", "1d", at=time(2, 30))
    assert timezone.localtime(daily.slot(NOON)).isoformat() == "2026-11-04T02:30:00+01:00"
    early = NOON.replace(hour=0)  # 01:07 in Paris: still yesterday's slot
    assert timezone.localtime(daily.slot(early)).isoformat() == "2026-11-03T02:30:00+01:00"
    monthly = RoutineTask("t", "c", "monthly", at=time(3, 0), args=("{previous_month}",))
    slot = monthly.slot(NOON)
    assert timezone.localtime(slot).isoformat() == "2026-11-01T03:00:00+01:00"
    assert monthly.arguments(slot) == ["2026-10"]


def test_each_slot_runs_once_and_every_run_is_logged(schedule):
    runs = run_due_tasks(NOON)
    assert sorted(run.task for run in runs) == ["clearsessions", "failing", "hourly_purge"]
    assert run_due_tasks(NOON + timedelta(minutes=2)) == []
    later = run_due_tasks(NOON + timedelta(minutes=5))
    assert [run.task for run in later] == ["clearsessions"]
    failed = TaskRun.objects.get(task="failing")
    assert failed.status == TaskRun.Status.FAILED
    assert "YYYY-MM" in failed.output or "month" in failed.output.lower()
    assert failed.finished_at is not None
    assert TaskRun.objects.filter(status=TaskRun.Status.SUCCEEDED).count() == 3


def test_the_command_runs_one_pass(schedule, capsys):
    call_command("run_scheduler", "--once")
    assert "clearsessions" in capsys.readouterr().out
    assert TaskRun.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_run_each_slot_once(schedule):
    if connection.vendor != "postgresql":
        pytest.skip("The advisory lock is PostgreSQL's; SQLite has one writer anyway.")
    moments = [NOON + timedelta(minutes=5 * step) for step in range(6)]
    barrier = threading.Barrier(2)
    claimed = [[], []]

    def scheduler(index):
        try:
            for moment in moments:
                barrier.wait(timeout=20)
                claimed[index].extend(run.task for run in run_due_tasks(moment))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    runs = claimed[0] + claimed[1]
    # Six 5-minute slots, one hourly and one daily slot: each ran by one scheduler only.
    assert sorted(runs) == ["clearsessions"] * 6 + ["failing", "hourly_purge"]
    assert TaskRun.objects.count() == 8


def test_the_admin_report_shows_each_tasks_last_run(schedule, verified_client, director):
    from django.contrib.auth.models import Permission

    from tests.factories.parents import UserFactory

    run_due_tasks(NOON)
    url = reverse("operations_routine_tasks")
    # A director without the permission: refused.
    assert verified_client(director).get(url).status_code in (302, 403)
    staff = UserFactory(username="exploitation", is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_taskrun"),
    )
    response = verified_client(staff).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "hourly_purge" not in html  # the command is shown, not the schedule's key
    assert html.count("<code>clearsessions</code>") == 2
    assert "invoice_bookings" in html
    assert "échec" in html
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert verified_client(superuser).get(url).status_code == 200


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(reverse("operations_routine_tasks"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
