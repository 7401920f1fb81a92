"""Payment reminders ("Relances"): who is reminded, when, and how.

Invariants kept here:

- A reminder reads the ledger; it never changes money.
- Each family gets each reminder of a cycle once: a cycle is named by the oldest overdue
  invoice, and (family, invoice, level) is unique in the database, so running
  `send_payment_reminders` daily, twice, or on two machines sends nothing twice.
- Never reminded: families whose reminders are paused, families under the structure's
  minimum, and families with an active mandate (their balance is collected by the next
  direct debit, already announced to them or about to be).
- The second reminder follows the first: it is sent once the second delay is reached and
  at least the gap between the two delays has passed since the first.
"""

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from wagtail.log_actions import log

from core.money import ZERO
from core.pdf import render_pdf
from parents.models import Family

from ..direct_debit.models import Mandate
from ..ledger.pdf import STYLESHEET
from ..ledger.services import family_balance, open_lines
from ..online_payment.services import online_payment_offer
from .models import Reminder, ReminderPause, ReminderSettings

logger = logging.getLogger(__name__)


def reminder_settings(structure):
    """The structure's settings, or unsaved defaults (reminders off) when never set."""
    found = ReminderSettings.objects.filter(structure=structure).first()
    return found or ReminderSettings(structure=structure)


@dataclass
class UnpaidInvoice:
    invoice: object
    left: object

    @property
    def number(self):
        return self.invoice.number


@dataclass
class ReminderPlan:
    family: Family
    level: int
    invoices: list = field(default_factory=list)
    balance: object = ZERO

    @property
    def oldest(self):
        return self.invoices[0].invoice


def overdue_invoices(family, today):
    """Issued invoices past their due date with something left to pay, oldest first."""
    left_by_invoice = OrderedDict()
    for line, left in open_lines(family):
        invoice = line.invoice
        if invoice.due_date is None or invoice.due_date >= today:
            continue
        left_by_invoice.setdefault(invoice, ZERO)
        left_by_invoice[invoice] += left
    invoices = [UnpaidInvoice(invoice, left) for invoice, left in left_by_invoice.items()]
    invoices.sort(key=lambda item: (item.invoice.due_date, item.invoice.pk))
    return invoices


def is_paused(family, today):
    pause = ReminderPause.objects.filter(family=family).first()
    return pause is not None and pause.is_in_force(today)


def has_active_mandate(family):
    return Mandate.objects.filter(
        family=family, status=Mandate.Status.ACTIVE, stop_requested_at__isnull=True
    ).exists()


def plan_reminder(family, today=None, rules=None):
    """The reminder the family is due today, or None (and why not, for the admin)."""
    today = today or timezone.localdate()
    rules = rules or reminder_settings(family.structure)
    if is_paused(family, today) or has_active_mandate(family):
        return None
    balance = family_balance(family)
    if balance <= ZERO or balance < rules.minimum_amount:
        return None
    invoices = overdue_invoices(family, today)
    if not invoices:
        return None
    oldest = invoices[0].invoice
    late = (today - oldest.due_date).days
    sent = {
        reminder.level: reminder
        for reminder in Reminder.objects.filter(family=family, invoice=oldest)
    }
    if 1 not in sent:
        level = 1 if late >= rules.first_delay_days else None
    elif 2 not in sent:
        gap = rules.second_delay_days - rules.first_delay_days
        first_sent = sent[1].sent_on
        ready = late >= rules.second_delay_days and today - first_sent >= timedelta(days=gap)
        level = 2 if ready else None
    else:
        level = None
    if level is None:
        return None
    return ReminderPlan(family=family, level=level, invoices=invoices, balance=balance)


def due_reminders(structure, today=None):
    rules = reminder_settings(structure)
    if not rules.enabled:
        return []
    plans = []
    # Only a family owing at least the minimum can be due one (plan_reminder's first test
    # on the balance): found by their stored balances, not by summing every family's
    # journal one family at a time.
    owing = Family.objects.filter(
        structure=structure,
        stored_balance__balance__gt=ZERO,
        stored_balance__balance__gte=rules.minimum_amount,
    )
    for family in owing.order_by("name", "pk"):
        plan = plan_reminder(family, today, rules)
        if plan is not None:
            plans.append(plan)
    return plans


def _recipients(family):
    return [g.email for g in family.guardians.all() if g.email]


def reminder_context(family, level, invoices, balance, rules=None):
    rules = rules or reminder_settings(family.structure)
    offer = online_payment_offer(family, balance)
    return {
        "family": family,
        "structure": family.structure,
        "association": family.structure.association,
        "level": level,
        "text": rules.text(level),
        "invoices": invoices,
        "balance": balance,
        "online_payment": offer.available,
        "account_url": settings.SITE_URL + reverse("billing:account"),
        "payment_url": settings.SITE_URL + reverse("billing:payment"),
        "today": timezone.localdate(),
        "guardians": list(family.guardians.all()),
    }


def send_reminder(plan, *, by=None, today=None):
    """Record and send one reminder. Returns the Reminder, or None when this reminder was
    already sent (by another run: the unique constraint decides).
    """
    recipients = _recipients(plan.family)
    channel = Reminder.Channel.EMAIL if recipients else Reminder.Channel.LETTER
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                structure=plan.family.structure,
                family=plan.family,
                level=plan.level,
                invoice=plan.oldest,
                invoice_numbers=", ".join(item.number for item in plan.invoices)[:500],
                balance=plan.balance,
                channel=channel,
                sent_on=today or timezone.localdate(),
                sent_by=by,
            )
            log(
                instance=plan.family,
                action="billing.send_reminder",
                user=by,
                data={"level": plan.level, "balance": str(plan.balance), "channel": channel},
            )
    except IntegrityError:
        return None
    if recipients:
        with translation.override(settings.LANGUAGE_CODE):
            context = reminder_context(plan.family, plan.level, plan.invoices, plan.balance)
            subject = render_to_string("billing/email/reminder_subject.txt", context).strip()
            text = render_to_string("billing/email/reminder.txt", context)
            html = render_to_string("billing/email/reminder.html", context)
        message = EmailMultiAlternatives(subject, text, to=recipients)
        message.attach_alternative(html, "text/html")
        try:
            message.send()
        except OSError:
            # Recorded but not delivered: the director sees it and can print the letter.
            logger.exception("Reminder e-mail to family %s failed", plan.family.pk)
    return reminder


def send_payment_reminders(today=None, structures=None):
    """Send every reminder due today, in every structure that sends reminders. Idempotent.
    Returns {"email": n, "letter": n}.
    """
    today = today or timezone.localdate()
    counts = {Reminder.Channel.EMAIL: 0, Reminder.Channel.LETTER: 0}
    rules = ReminderSettings.objects.filter(enabled=True).select_related("structure")
    if structures is not None:
        rules = rules.filter(structure__in=structures)
    for rule in rules:
        for plan in due_reminders(rule.structure, today):
            reminder = send_reminder(plan, today=today)
            if reminder is not None:
                counts[reminder.channel] += 1
    return counts


def reminder_letter_pdf(family, today=None):
    """A letter to print and post, for a family without e-mail: the latest reminder's text
    (the first one's if none was sent), the unpaid invoices and the balance.
    """
    today = today or timezone.localdate()
    latest = Reminder.objects.filter(family=family).order_by("-sent_at", "-pk").first()
    level = latest.level if latest else 1
    balance = family_balance(family)
    context = reminder_context(family, level, overdue_invoices(family, today), balance)
    return render_pdf("billing/pdf/reminder_letter.html", context, stylesheets=[STYLESHEET])


def pause_reminders(family, *, until=None, reason="", by=None):
    with transaction.atomic():
        pause, _created = ReminderPause.objects.update_or_create(
            family=family, defaults={"until": until, "reason": reason[:200], "created_by": by}
        )
        log(
            instance=family,
            action="billing.pause_reminders",
            user=by,
            data={"until": str(until) if until else "", "reason": reason},
        )
        return pause


def resume_reminders(family, *, by=None):
    with transaction.atomic():
        deleted, _rows = ReminderPause.objects.filter(family=family).delete()
        if deleted:
            log(instance=family, action="billing.resume_reminders", user=by)
        return bool(deleted)
