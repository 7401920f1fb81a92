"""Running the routine commands: each slot once, even with several schedulers.

Two guards: a PostgreSQL advisory lock taken for the claim's transaction, so two schedulers
never even race on the insert, and the unique (task, slot) row, which is the durable one
(it survives restarts and works on SQLite too).
"""

import hashlib
import io
import logging
import os
import socket
import traceback

from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import TaskRun
from .schedule import routine_tasks

logger = logging.getLogger(__name__)
OUTPUT_EXCERPT = 4000


def lock_key(task, slot):
    digest = hashlib.sha256(f"{task}@{slot.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def scheduler_name():
    """Which scheduler claimed a slot: the machine and the process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_slot(task, slot):
    """The new TaskRun if this process won the slot, else None (another one has it)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_key(task, slot)])
                if not cursor.fetchone()[0]:
                    return None
        if TaskRun.objects.filter(task=task, slot=slot).exists():
            return None
        try:
            with transaction.atomic():
                return TaskRun.objects.create(task=task, slot=slot, host=scheduler_name())
        except IntegrityError:
            return None


def run_task(task, run):
    """Run the command of a claimed slot and record how it went."""
    output = io.StringIO()
    try:
        call_command(task.command, *task.arguments(run.slot), stdout=output, stderr=output)
    except Exception:  # noqa: BLE001 - any failure is recorded and shown in the admin
        run.status = TaskRun.Status.FAILED
        output.write(traceback.format_exc())
        logger.exception("Routine task %s failed (slot %s)", task.name, run.slot)
    else:
        run.status = TaskRun.Status.SUCCEEDED
        logger.info("Routine task %s done (slot %s)", task.name, run.slot)
    text = output.getvalue()
    run.output = text[-OUTPUT_EXCERPT:]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "output", "finished_at"])
    return run


def run_due_tasks(now=None):
    """Run every routine task whose current slot no scheduler has claimed yet."""
    now = now or timezone.now()
    runs = []
    for task in routine_tasks():
        run = claim_slot(task.name, task.slot(now))
        if run is not None:
            runs.append(run_task(task, run))
    return runs
