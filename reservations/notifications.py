"""Emails about bookings, sent in French once the transaction that caused them commits."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from parents.models import Family

from .models import AbsenceJustification, BookingEvent


def _recipients(family):
    return [guardian.email for guardian in family.guardians.all() if guardian.email]


def _send(template, context, recipients):
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"reservations/email/{template}_subject.txt", context)
        text = render_to_string(f"reservations/email/{template}.txt", context)
        html = render_to_string(f"reservations/email/{template}.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), text, to=recipients)
    message.attach_alternative(html, "text/html")
    return message.send()


def _links():
    return {
        "bookings_url": settings.SITE_URL + reverse("reservations:bookings"),
        "history_url": settings.SITE_URL + reverse("reservations:history"),
        "reminders_url": settings.SITE_URL + reverse("reservations:reminders"),
    }


def send_confirmation(family_id, event_ids):
    """The family's changes, one line each; an offer comes with its answer deadline."""
    family = Family.objects.select_related("structure__association").get(pk=family_id)
    recipients = _recipients(family)
    if not recipients:
        return 0
    events = list(
        BookingEvent.objects.filter(pk__in=event_ids)
        .select_related("child", "slot__day", "slot__unit", "slot__outing")
        .order_by("at", "pk")
    )
    offers = [event for event in events if event.action == BookingEvent.Action.OFFERED]
    context = {
        "family": family,
        "structure": family.structure,
        "events": events,
        "offers": offers,
        **_links(),
    }
    return _send("confirmation", context, recipients)


def send_reminder(period, family, days, deadline, recipients):
    context = {
        "family": family,
        "structure": period.structure,
        "period": period,
        "days": days,
        "deadline": deadline,
        **_links(),
    }
    return _send("reminder", context, recipients)


def send_justification_to_centre(justification_id):
    """Tell the centre a justification waits for a decision (no document attached)."""
    justification = AbsenceJustification.objects.select_related(
        "family__structure",
        "booking__child",
        "booking__day",
        "booking__slot__unit",
        "booking__slot__outing",
    ).get(pk=justification_id)
    structure = justification.family.structure
    if not structure.email:
        return 0
    context = {
        "justification": justification,
        "booking": justification.booking,
        "family": justification.family,
        "structure": structure,
        "admin_url": settings.WAGTAILADMIN_BASE_URL
        + reverse("reservation_absences:review", args=(justification.pk,)),
    }
    return _send("justification", context, [structure.email])
