"""What running the portal as a service records: the runs of the routine commands."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskRun(models.Model):
    """One run of a routine command for one slot of its schedule.

    The unique (task, slot) pair is what makes a slot run once, whichever scheduler claims it
    first: a second scheduler's insert fails and it moves on.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    task = models.CharField(_("task"), max_length=100)
    slot = models.DateTimeField(_("slot"))
    host = models.CharField(_("host"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    output = models.TextField(_("output excerpt"), blank=True)

    class Meta:
        verbose_name = _("routine task run")
        verbose_name_plural = _("routine task runs")
        constraints = [
            models.UniqueConstraint(fields=["task", "slot"], name="operations_one_run_per_slot")
        ]
        indexes = [models.Index(fields=["task", "-slot"], name="operations_task_slot")]

    def __str__(self):
        return f"{self.task} {self.slot:%Y-%m-%d %H:%M}"
