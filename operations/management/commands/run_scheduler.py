"""The scheduler process: runs the routine commands of settings.ROUTINE_TASKS on time."""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from operations.services import run_due_tasks


class Command(BaseCommand):
    help = (
        "Run the routine commands (settings.ROUTINE_TASKS) on their schedule. Start it on as "
        "many machines as wanted: each slot of each task runs once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--interval", type=float, default=30, help="Seconds between passes (default 30)."
        )

    def handle(self, *args, once=False, interval=30, **options):
        while True:
            for run in run_due_tasks():
                self.stdout.write(f"{run.task} {run.slot:%Y-%m-%d %H:%M} {run.status}")
            if once:
                return
            # A long-lived process: drop a connection the database closed meanwhile.
            close_old_connections()
            time.sleep(interval)
