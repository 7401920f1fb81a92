"""The routine commands' schedule (settings.ROUTINE_TASKS) and its slots.

Each task names a management command, how often it runs ("5m", "1h", "1d", "monthly") and,
for daily and monthly tasks, the local time ("at": "02:30"). A slot is the start of the
period a run belongs to: every scheduler computes the same slot for the same moment.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

PERIOD = re.compile(r"^(\d+)([mh])$")


@dataclass(frozen=True)
class RoutineTask:
    name: str
    command: str
    every: str
    at: time = time(0, 0)
    args: tuple = field(default_factory=tuple)

    def slot(self, now):
        """The start of the period `now` falls in (an aware datetime)."""
        match = PERIOD.match(self.every)
        if match:
            seconds = int(match[1]) * (60 if match[2] == "m" else 3600)
            epoch = int(now.timestamp())
            return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)
        local = timezone.localtime(now)
        if self.every == "1d":
            start = timezone.make_aware(datetime.combine(local.date(), self.at))
            return start if start <= now else start - timedelta(days=1)
        if self.every == "monthly":
            first = local.date().replace(day=1)
            start = timezone.make_aware(datetime.combine(first, self.at))
            if start > now:
                previous = (first - timedelta(days=1)).replace(day=1)
                start = timezone.make_aware(datetime.combine(previous, self.at))
            return start
        raise ValueError(f"Unknown period {self.every!r} for routine task {self.name}")

    def arguments(self, slot):
        """The command's arguments; "{previous_month}" becomes the month before the slot."""
        local = timezone.localtime(slot)
        previous = (local.date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        return [arg.replace("{previous_month}", previous) for arg in self.args]


def routine_tasks():
    tasks = []
    for name, spec in settings.ROUTINE_TASKS.items():
        hour, minute = (int(part) for part in spec.get("at", "00:00").split(":"))
        tasks.append(
            RoutineTask(
                name=name,
                command=spec.get("command", name),
                every=spec["every"],
                at=time(hour, minute),
                args=tuple(spec.get("args", ())),
            )
        )
    return tasks
