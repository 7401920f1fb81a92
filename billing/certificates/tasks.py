"""Background tasks of the billing app (django-tasks: a database queue and `manage.py
db_worker` in production, run immediately in tests).
"""

import time

from django.conf import settings
from django.utils import timezone

from django_tasks import task

from .models import CertificateRun
from .services import issue_attestations

# The admin page reads the progress from the run row: writing it more often is wasted work.
PROGRESS_INTERVAL = 1.0


@task()
def generate_attestations_task(run_id):
    """Generate a structure's certificates for a year, recording progress on the run."""
    run = CertificateRun.objects.select_related("structure", "created_by").get(pk=run_id)
    run.status = CertificateRun.Status.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at"])
    last = [0.0]

    def progress(summary):
        now = time.monotonic()
        if now - last[0] < PROGRESS_INTERVAL and summary.families < summary.total_families:
            return
        last[0] = now
        CertificateRun.objects.filter(pk=run_id).update(
            total=summary.total_families,
            done=summary.families,
            generated=summary.generated,
            unchanged=summary.unchanged,
            flagged=summary.flagged,
        )

    try:
        summary = issue_attestations(
            run.year,
            structure=run.structure,
            by=run.created_by,
            workers=getattr(settings, "CERTIFICATE_PDF_WORKERS", 1),
            progress=progress,
        )
    except Exception as exc:
        CertificateRun.objects.filter(pk=run_id).update(
            status=CertificateRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        raise
    CertificateRun.objects.filter(pk=run_id).update(
        status=CertificateRun.Status.DONE,
        total=summary.total_families,
        done=summary.families,
        generated=summary.generated,
        unchanged=summary.unchanged,
        flagged=summary.flagged,
        finished_at=timezone.now(),
    )
    return {
        "generated": summary.generated,
        "unchanged": summary.unchanged,
        "flagged": summary.flagged,
    }
