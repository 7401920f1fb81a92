"""The bookings panels of the admin's home page: absence justifications to decide, waiting
lists with places offered. Only the structures of the member of staff are counted."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from core.admin import HomePanel
from core.dashboard import count_lines, counts_by_structure

from .admin_views import ABSENCE_PERMISSION, VIEW_PERMISSION
from .models import AbsenceJustification, WaitingListEntry


def absences_panel(user):
    if not user.has_perm(ABSENCE_PERMISSION):
        return None
    submitted = AbsenceJustification.objects.for_staff(user).filter(
        status=AbsenceJustification.Status.SUBMITTED
    )
    return HomePanel(
        "absences",
        _("Absence justifications to decide"),
        count_lines(
            counts_by_structure(submitted, "family__structure"),
            ngettext_lazy(
                "%(count)s justification to decide", "%(count)s justifications to decide", "count"
            ),
        ),
        reverse("reservation_absences:index"),
        _("Absence justifications"),
        order=20,
    )


def waiting_lists_panel(user):
    if not user.has_perm(VIEW_PERMISSION):
        return None
    entries = WaitingListEntry.objects.for_staff(user)
    offered = counts_by_structure(
        entries.filter(status=WaitingListEntry.Status.OFFERED), "family__structure"
    )
    waiting = counts_by_structure(entries.waiting(), "family__structure")
    lines = count_lines(
        offered,
        ngettext_lazy(
            "%(count)s place offered, awaiting an answer",
            "%(count)s places offered, awaiting an answer",
            "count",
        ),
    )
    lines += count_lines(
        waiting,
        ngettext_lazy("%(count)s child waiting", "%(count)s children waiting", "count"),
    )
    return HomePanel(
        "waiting_lists",
        _("Waiting lists"),
        sorted(lines),
        reverse("reservation_dashboard:index"),
        _("Bookings dashboard"),
        order=30,
    )
