"""SEPA direct debit: mandates, batches, the pain.008 bank file, and rejects.

Invariants kept here:

- Money moves only through `billing.ledger.services`: sending a batch records one
  `Payment` per family (method "prelevement", dated on the collection date, allocated like
  any payment); a reject is `reverse_payment` of that payment, idempotent on the debit's
  transaction reference, so importing the same bank return twice changes nothing.
- A family is told the amount, the date and the mandate reference (RUM) at least
  `MIN_NOTICE_DAYS` calendar days before its account is debited: a batch cannot be prepared
  for a closer date.
- One batch per structure and collection date; a family appears once in it.
- The IBAN is validated (schwifty) before it is stored, encrypted, and never shown again
  beyond its last four characters.
"""

import logging
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wagtail.log_actions import log

from core.money import ZERO, format_euros
from core.pdf import render_pdf
from core.structure_cache import settings_for

from ..ledger.models import Category, PaymentMethod, PaymentReversal
from ..ledger.pdf import STYLESHEET
from ..ledger.services import (
    BillingError,
    LineData,
    create_draft_invoice,
    family_balance,
    issue_invoice,
    lock_family,
    record_payment,
    reverse_payment,
)
from . import crypto
from .models import (
    MIN_NOTICE_DAYS,
    DebitBatch,
    DebitLine,
    DirectDebitSettings,
    Mandate,
    reject_reason_label,
)

logger = logging.getLogger(__name__)

# Two rejects in a row and the mandate is suspended until the director looks at it.
REJECTS_BEFORE_SUSPENSION = 2


# --- Settings --------------------------------------------------------------------------------


def direct_debit_settings(structure, *, read_only=False):
    """The structure's settings, or unsaved defaults (direct debit off) when never set.

    `read_only`: from the shared cache (`core.structure_cache`), for pages that only show them.
    """
    if read_only:
        return settings_for(DirectDebitSettings, structure)
    found = DirectDebitSettings.objects.filter(structure=structure).first()
    return found or DirectDebitSettings(structure=structure)


# --- IBAN ------------------------------------------------------------------------------------


def validate_iban(value, bic=""):
    """Check an IBAN (checksum, country, length, SEPA zone) and find its BIC.

    Returns (IBAN without spaces, BIC). The BIC is derived from the bank code when schwifty
    knows the bank; otherwise the one given is checked, and asked for when missing.
    Raises ValidationError keyed on "iban" or "bic", in words a parent understands.
    """
    from schwifty import BIC, IBAN
    from schwifty.exceptions import (
        InvalidChecksumDigits,
        InvalidCountryCode,
        InvalidLength,
        SchwiftyException,
    )

    compact = "".join((value or "").split()).upper()
    if not compact:
        raise ValidationError({"iban": _("Enter the IBAN.")})
    try:
        iban = IBAN(compact)
    except InvalidChecksumDigits:
        raise ValidationError(
            {"iban": _("This IBAN is not valid: its check digits are wrong. Check for a typo.")}
        ) from None
    except InvalidCountryCode:
        raise ValidationError(
            {"iban": _("This IBAN does not start with a known country code (FR for France).")}
        ) from None
    except InvalidLength:
        raise ValidationError(
            {"iban": _("This IBAN has the wrong number of characters for its country.")}
        ) from None
    except SchwiftyException:
        raise ValidationError({"iban": _("This IBAN is not valid.")}) from None
    if not iban.in_sepa_zone:
        raise ValidationError(
            {"iban": _("Direct debit needs an account in the SEPA zone (Europe).")}
        )
    derived = iban.bic
    given = "".join((bic or "").split()).upper()
    if given:
        try:
            checked = BIC(given)
        except SchwiftyException:
            raise ValidationError(
                {"bic": _("This BIC is not valid (8 or 11 letters and digits).")}
            ) from None
        if checked.country_code != iban.country_code:
            raise ValidationError({"bic": _("This BIC belongs to a bank of another country.")})
        return iban.compact, str(checked.compact)
    if derived is None:
        raise ValidationError(
            {"bic": _("We could not find the BIC of this bank: enter it (see your RIB).")}
        )
    return iban.compact, str(derived.compact)


def _check_can_store_iban():
    if not crypto.is_configured():
        raise BillingError(_("Direct debit is not available at the moment."))


# --- Mandates --------------------------------------------------------------------------------


def new_mandate_reference(family, on_date):
    """A RUM: unique, at most 35 characters of the SEPA alphabet, e.g.
    "PF3-DUP001-20261128-9F2C".
    """
    reference = "".join(ch for ch in family.reference.upper() if ch.isalnum())[:12]
    for _attempt in range(10):
        candidate = (
            f"PF{family.structure_id}-{reference}-{on_date:%Y%m%d}-{secrets.token_hex(2).upper()}"
        )[:35]
        if not Mandate.objects.filter(reference=candidate).exists():
            return candidate
    raise BillingError(_("No mandate reference could be given; please try again."))


def _create_mandate(
    family, *, kind, status, holder_name, iban, bic, signed_on, by, render=True, **extra
):
    dd_settings = direct_debit_settings(family.structure)
    if not dd_settings.creditor_identifier:
        raise BillingError(_("Direct debit is not set up for this structure."))
    _check_can_store_iban()
    iban, bic = validate_iban(iban, bic)
    holder_name = " ".join((holder_name or "").split())
    if not holder_name:
        raise ValidationError({"holder_name": _("Enter the account holder's name.")})
    with transaction.atomic():
        family = lock_family(family)
        if Mandate.objects.for_family(family).current().exists():
            raise BillingError(
                _("This family already has a mandate; it must be revoked before a new one.")
            )
        mandate = Mandate.objects.create(
            structure=family.structure,
            family=family,
            reference=new_mandate_reference(family, signed_on),
            status=status,
            kind=kind,
            holder_name=holder_name[:70],
            holder_address=family.postal_address,
            iban=iban,
            iban_last4=iban[-4:],
            bic=bic,
            signed_on=signed_on,
            mandate_text=dd_settings.mandate_text,
            created_by=by,
            **extra,
        )
        if render:
            store_mandate_pdf(mandate, dd_settings)
            mandate.save(update_fields=["pdf"])
        log(
            instance=mandate,
            action="billing.create_mandate",
            user=by,
            data={"reference": mandate.reference, "kind": kind, "iban_last4": iban[-4:]},
        )
        return mandate


def sign_mandate(family, *, holder_name, iban, bic="", consent, user, ip_address):
    """A parent signs a mandate online: consent ticked, date, IP address and account kept
    as the electronic signature. The mandate waits for the director's validation.
    """
    dd_settings = direct_debit_settings(family.structure)
    if not dd_settings.is_ready:
        raise BillingError(_("Your leisure centre does not offer direct debit."))
    if not consent:
        raise ValidationError(
            {"consent": _("Tick the box to sign the mandate: without it nothing is signed.")}
        )
    now = timezone.now()
    return _create_mandate(
        family,
        kind=Mandate.Kind.ELECTRONIC,
        status=Mandate.Status.WAITING,
        holder_name=holder_name,
        iban=iban,
        bic=bic,
        signed_on=timezone.localdate(now),
        by=user,
        signed_at=now,
        signed_ip=ip_address or None,
        signed_by=user,
    )


def record_paper_mandate(family, *, holder_name, iban, bic="", signed_on, by, render_pdf=True):
    """The director records a mandate the family signed on paper: active at once."""
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("The date of signature cannot be in the future.")})
    return _create_mandate(
        family,
        kind=Mandate.Kind.PAPER,
        status=Mandate.Status.ACTIVE,
        holder_name=holder_name,
        iban=iban,
        bic=bic,
        signed_on=signed_on,
        by=by,
        render=render_pdf,
        validated_at=timezone.now(),
        validated_by=by,
    )


def _locked_mandate(mandate):
    lock_family(mandate.family)
    return Mandate.objects.select_for_update().get(pk=mandate.pk)


def validate_mandate(mandate, *, by):
    """A waiting (online) mandate checked by the director becomes active."""
    with transaction.atomic():
        mandate = _locked_mandate(mandate)
        if mandate.status != Mandate.Status.WAITING:
            raise BillingError(_("Only a mandate waiting for validation can be validated."))
        mandate.status = Mandate.Status.ACTIVE
        mandate.validated_at = timezone.now()
        mandate.validated_by = by
        mandate.save(update_fields=["status", "validated_at", "validated_by"])
        log(instance=mandate, action="billing.validate_mandate", user=by)
        return mandate


def reactivate_mandate(mandate, *, by):
    """A mandate suspended after rejects is put back in force (the family fixed its account)."""
    with transaction.atomic():
        mandate = _locked_mandate(mandate)
        if mandate.status != Mandate.Status.SUSPENDED:
            raise BillingError(_("Only a suspended mandate can be reactivated."))
        mandate.status = Mandate.Status.ACTIVE
        mandate.consecutive_rejects = 0
        mandate.save(update_fields=["status", "consecutive_rejects"])
        log(instance=mandate, action="billing.reactivate_mandate", user=by)
        return mandate


def _exclude_pending_lines(mandate, by):
    """Take the mandate's debits out of the batches not yet sent to the bank."""
    lines = DebitLine.objects.filter(
        mandate=mandate,
        status=DebitLine.Status.PENDING,
        batch__status=DebitBatch.Status.PREPARED,
    )
    count = lines.update(status=DebitLine.Status.EXCLUDED)
    if count:
        log(instance=mandate, action="billing.exclude_debit", user=by, data={"lines": count})
    return count


def revoke_mandate(mandate, *, by, reason=""):
    """End a mandate for good. Debits not yet sent to the bank are taken out of their batch."""
    with transaction.atomic():
        mandate = _locked_mandate(mandate)
        if mandate.status == Mandate.Status.REVOKED:
            return mandate
        _exclude_pending_lines(mandate, by)
        mandate.status = Mandate.Status.REVOKED
        mandate.ended_at = timezone.now()
        mandate.ended_by = by
        mandate.end_reason = (reason or "")[:200]
        mandate.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
        log(instance=mandate, action="billing.revoke_mandate", user=by, data={"reason": reason})
        return mandate


def request_mandate_stop(mandate, *, user):
    """A parent asks to stop direct debit: no debit is prepared or sent from now on, and the
    director is told, who revokes the mandate. Asking twice changes nothing.
    """
    with transaction.atomic():
        mandate = _locked_mandate(mandate)
        if mandate.status == Mandate.Status.REVOKED or mandate.stop_requested_at:
            return mandate
        if mandate.status == Mandate.Status.WAITING:
            # Never used: the request ends it at once.
            mandate.stop_requested_at = timezone.now()
            mandate.save(update_fields=["stop_requested_at"])
            return revoke_mandate(mandate, by=user, reason=_("Stopped by the family"))
        _exclude_pending_lines(mandate, user)
        mandate.stop_requested_at = timezone.now()
        mandate.save(update_fields=["stop_requested_at"])
        log(instance=mandate, action="billing.request_mandate_stop", user=user)
        structure = mandate.structure
        transaction.on_commit(lambda: _tell_director_stop(mandate.pk, structure.email), robust=True)
        return mandate


def _tell_director_stop(mandate_id, email):
    if not email:
        return
    mandate = Mandate.objects.select_related("family").get(pk=mandate_id)
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Direct debit: %(family)s asks to stop") % {"family": mandate.family}
        body = _(
            "The family %(family)s asks to stop the direct debit of mandate %(reference)s. "
            "No debit will be prepared for it; revoke the mandate in the admin "
            "(Billing › Direct debit)."
        ) % {"family": mandate.family, "reference": mandate.reference}
    EmailMultiAlternatives(subject, body, to=[email]).send()


def mandate_context(mandate, dd_settings=None):
    dd_settings = dd_settings or direct_debit_settings(mandate.structure)
    return {
        "mandate": mandate,
        "settings": dd_settings,
        "structure": mandate.structure,
        "association": mandate.structure.association,
        "family": mandate.family,
        "creditor_name": dd_settings.creditor_display_name,
    }


def store_mandate_pdf(mandate, dd_settings=None):
    """The mandate as signed (PDF/UA), kept in private storage: ICS, RUM, debtor, the text."""
    data = render_pdf(
        "billing/pdf/mandate.html", mandate_context(mandate, dd_settings), stylesheets=[STYLESHEET]
    )
    mandate.pdf.save(f"mandat-{mandate.reference}.pdf", ContentFile(data), save=False)


def current_mandate(family):
    return Mandate.objects.for_family(family).current().first()


# --- Batches ---------------------------------------------------------------------------------


def earliest_collection_date(dd_settings, today=None):
    """The closest debit date allowed today: families need `notice_days` (14 at least)."""
    today = today or timezone.localdate()
    return today + timedelta(days=max(dd_settings.notice_days, MIN_NOTICE_DAYS))


def next_collection_date(dd_settings, today=None):
    """The first scheduled debit date a batch prepared today can have."""
    return dd_settings.next_collection_date(earliest_collection_date(dd_settings, today))


def pending_debits(family):
    """What is already announced to the family and not yet sent to the bank."""
    return (
        DebitLine.objects.filter(
            family=family,
            status=DebitLine.Status.PENDING,
            batch__status=DebitBatch.Status.PREPARED,
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )


def next_debit(family):
    """The family's next announced debit (a pending line), for the account page."""
    return (
        DebitLine.objects.filter(
            family=family,
            status=DebitLine.Status.PENDING,
            batch__status__in=[DebitBatch.Status.PREPARED, DebitBatch.Status.SENT],
        )
        .select_related("batch", "mandate")
        .order_by("batch__collection_date")
        .first()
    )


def _sequence_type(mandate):
    """FRST for a mandate's first debit, RCUR afterwards. A first debit that was rejected
    (or taken out) did not count: the next one is FRST again.
    """
    used = mandate.debits.filter(
        status__in=[DebitLine.Status.PENDING, DebitLine.Status.COLLECTED]
    ).exclude(batch__status=DebitBatch.Status.CANCELLED)
    return DebitLine.Sequence.RECURRING if used.exists() else DebitLine.Sequence.FIRST


def prepare_batch(structure, collection_date=None, *, by=None, today=None, notify=True):
    """Build the batch of `collection_date` (default: the next scheduled one): one debit per
    family with an active mandate whose balance due, less what is already announced,
    reaches the structure's minimum. Each family is pre-notified by e-mail.

    Refuses a date closer than the pre-notification delay. Returns the existing batch when
    the structure already has one for that date, None when no family has anything to pay.
    """
    today = today or timezone.localdate()
    dd_settings = direct_debit_settings(structure)
    if not dd_settings.is_ready:
        raise BillingError(_("Direct debit is not set up for this structure."))
    earliest = earliest_collection_date(dd_settings, today)
    if collection_date is None:
        collection_date = dd_settings.next_collection_date(earliest)
    if collection_date < earliest:
        raise BillingError(
            _(
                "Families must be told at least %(days)s days before the debit: the first "
                "possible date is %(date)s."
            )
            % {"days": dd_settings.notice_days, "date": _format_date(earliest)}
        )
    existing = DebitBatch.objects.filter(structure=structure, collection_date=collection_date)
    existing = existing.exclude(status=DebitBatch.Status.CANCELLED).first()
    if existing is not None:
        return existing
    mandates = (
        Mandate.objects.filter(
            structure=structure, status=Mandate.Status.ACTIVE, stop_requested_at__isnull=True
        )
        .select_related("family")
        .order_by("family__name", "pk")
    )
    with transaction.atomic():
        batch = None
        for mandate in mandates:
            family = lock_family(mandate.family)
            amount = family_balance(family) - pending_debits(family)
            if amount < dd_settings.minimum_amount:
                continue
            if batch is None:
                batch = _create_batch(structure, collection_date, by)
            DebitLine.objects.create(
                batch=batch,
                mandate=mandate,
                family=family,
                amount=amount,
                sequence_type=_sequence_type(mandate),
                end_to_end_id=f"PF{batch.pk}-{mandate.pk}-{secrets.token_hex(4).upper()}",
            )
        if batch is None:
            return None
        log(
            instance=batch,
            action="billing.prepare_debits",
            user=by,
            data={"date": str(collection_date), "lines": batch.lines.count()},
        )
        if notify:
            batch_id = batch.pk
            transaction.on_commit(lambda: send_pre_notifications(batch_id), robust=True)
        return batch


def _create_batch(structure, collection_date, by):
    try:
        with transaction.atomic():
            return DebitBatch.objects.create(
                structure=structure,
                collection_date=collection_date,
                message_id=f"PF-{structure.pk}-{collection_date:%Y%m%d}-{secrets.token_hex(4)}",
                created_by=by,
            )
    except IntegrityError:
        raise BillingError(_("A batch for this date is already being prepared.")) from None


def due_batches(today=None):
    """(structure, collection date) of the batches the daily command should prepare today:
    the next scheduled date, once it is within two days of the pre-notification deadline
    (so a day or two without the command still leaves time to notify).
    """
    today = today or timezone.localdate()
    result = []
    for dd_settings in DirectDebitSettings.objects.filter(enabled=True).select_related("structure"):
        if not dd_settings.is_ready:
            continue
        collection_date = next_collection_date(dd_settings, today)
        if collection_date is None:
            continue
        if (collection_date - today).days > max(dd_settings.notice_days, MIN_NOTICE_DAYS) + 2:
            continue
        result.append((dd_settings.structure, collection_date))
    return result


def exclude_debit(line, *, by):
    """Take one family's debit out of a batch not yet sent (paid otherwise meanwhile)."""
    with transaction.atomic():
        line = DebitLine.objects.select_for_update().select_related("batch").get(pk=line.pk)
        if line.batch.status != DebitBatch.Status.PREPARED or line.status != "pending":
            raise BillingError(_("Only a debit of a batch not yet sent can be taken out."))
        line.status = DebitLine.Status.EXCLUDED
        line.save(update_fields=["status"])
        log(instance=line.batch, action="billing.exclude_debit", user=by, data={"line": line.pk})
        return line


def cancel_batch(batch, *, by):
    with transaction.atomic():
        batch = DebitBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != DebitBatch.Status.PREPARED:
            raise BillingError(_("Only a batch not yet sent can be cancelled."))
        batch.lines.filter(status=DebitLine.Status.PENDING).update(status=DebitLine.Status.EXCLUDED)
        batch.status = DebitBatch.Status.CANCELLED
        batch.save(update_fields=["status"])
        log(instance=batch, action="billing.cancel_debits", user=by)
        return batch


def send_pre_notifications(batch_id):
    """E-mail each family of the batch its debit: amount, date, RUM and creditor id."""
    batch = DebitBatch.objects.select_related("structure").get(pk=batch_id)
    dd_settings = direct_debit_settings(batch.structure)
    sent = 0
    lines = batch.lines.filter(
        status=DebitLine.Status.PENDING, notified_at__isnull=True
    ).select_related("family", "mandate")
    for line in lines:
        recipients = [g.email for g in line.family.guardians.all() if g.email]
        if not recipients:
            continue
        context = {
            "line": line,
            "batch": batch,
            "mandate": line.mandate,
            "family": line.family,
            "structure": batch.structure,
            "settings": dd_settings,
            "creditor_name": dd_settings.creditor_display_name,
            "account_url": settings.SITE_URL + reverse("billing:account"),
        }
        _send_mail("billing/email/debit_notice", context, recipients)
        DebitLine.objects.filter(pk=line.pk).update(notified_at=timezone.now())
        sent += 1
    return sent


def _send_mail(template, context, recipients):
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=recipients)
    message.attach_alternative(html, "text/html")
    return message.send()


def _format_date(value):
    from core.dates import format_date as long_date

    return long_date(value)


# --- The bank file ---------------------------------------------------------------------------

SCHEMA = "pain.008.001.02"


def schema_path():
    """The pain.008.001.02 XSD that sepaxml ships."""
    import sepaxml

    return Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd"


def validate_pain008(xml_bytes):
    """Raise BillingError unless the file is valid against the pain.008.001.02 schema."""
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(schema_path())))
    document = etree.fromstring(xml_bytes)
    if not schema.validate(document):
        errors = "; ".join(str(error.message) for error in schema.error_log[:3])
        raise BillingError(_("The bank file is not valid: %(errors)s") % {"errors": errors})


def render_batch_xml(batch):
    """The pain.008.001.02 file of a batch (SEPA Core, one payment block per sequence
    type), checked against the schema before it is handed out.
    """
    from sepaxml import SepaDD

    dd_settings = direct_debit_settings(batch.structure)
    lines = list(
        batch.lines.filter(
            status__in=[DebitLine.Status.PENDING, DebitLine.Status.COLLECTED]
            if batch.status == DebitBatch.Status.PREPARED
            else [
                DebitLine.Status.PENDING,
                DebitLine.Status.COLLECTED,
                DebitLine.Status.REJECTED,
            ]
        ).select_related("mandate", "family")
    )
    if not lines:
        raise BillingError(_("This batch has no debit left: there is no file to send."))
    config = {
        "name": dd_settings.creditor_display_name,
        "IBAN": dd_settings.creditor_iban,
        "BIC": dd_settings.creditor_bic or "NOTPROVIDED",
        "batch": True,
        "creditor_id": dd_settings.creditor_identifier,
        "currency": "EUR",
        "instrument": "CORE",
    }
    if not dd_settings.creditor_bic:
        del config["BIC"]
    document = SepaDD(config, schema=SCHEMA, clean=True)
    # Our own message id, so the bank's answers and the stored file name the same batch.
    document._xml.find("CstmrDrctDbtInitn/GrpHdr/MsgId").text = batch.message_id
    for line in lines:
        document.add_payment(
            {
                "name": line.mandate.holder_name,
                "IBAN": line.mandate.iban,
                "BIC": line.mandate.bic,
                "amount": int(line.amount * 100),
                "type": line.sequence_type,
                "collection_date": batch.collection_date,
                "mandate_id": line.mandate.reference,
                "mandate_date": line.mandate.signed_on,
                "description": _debit_description(batch, line),
                "endtoend_id": line.end_to_end_id,
            }
        )
    xml_bytes = document.export(validate=False)
    validate_pain008(xml_bytes)
    return xml_bytes


def _debit_description(batch, line):
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(structure)s - family %(reference)s - debit of %(date)s") % {
            "structure": batch.structure.name,
            "reference": line.family.reference,
            "date": batch.collection_date.strftime("%d/%m/%Y"),
        }


def batch_file_name(batch):
    return f"prelevements-{batch.structure.slug}-{batch.collection_date:%Y-%m-%d}.xml"


def mark_batch_sent(batch, *, by):
    """The director sent the file to the bank: each debit becomes a payment of the ledger
    ("Prélèvement"), dated on the collection date and allocated like any payment. The file
    sent is kept. Marking twice changes nothing.
    """
    with transaction.atomic():
        batch = DebitBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == DebitBatch.Status.SENT:
            return batch
        if batch.status != DebitBatch.Status.PREPARED:
            raise BillingError(_("A cancelled batch cannot be sent."))
        xml_bytes = render_batch_xml(batch)
        for line in batch.lines.filter(status=DebitLine.Status.PENDING).select_related(
            "mandate", "family"
        ):
            payment = record_payment(
                line.family,
                line.amount,
                PaymentMethod.DIRECT_DEBIT,
                on_date=batch.collection_date,
                by=by,
                external_reference=line.end_to_end_id,
                note=_("Mandate %(reference)s") % {"reference": line.mandate.reference},
            )
            line.payment = payment
            line.status = DebitLine.Status.COLLECTED
            line.save(update_fields=["payment", "status"])
        batch.xml.save(batch_file_name(batch), ContentFile(xml_bytes), save=False)
        batch.status = DebitBatch.Status.SENT
        batch.sent_at = timezone.now()
        batch.sent_by = by
        batch.save(update_fields=["xml", "status", "sent_at", "sent_by"])
        log(
            instance=batch,
            action="billing.send_debits",
            user=by,
            data={"date": str(batch.collection_date)},
        )
        return batch


# --- Rejects ---------------------------------------------------------------------------------


def record_reject(line, *, code, on_date=None, by=None, notify=True):
    """A debit the bank returned: the payment is reversed with the reason code, the reject
    fee (if the structure sets one) is invoiced, the family is e-mailed, and after two
    rejects in a row the mandate is suspended. Idempotent: the same reject twice is one.
    """
    code = (code or "").strip().upper()[:4]
    if not code:
        raise BillingError(_("Enter the reason code of the reject (e.g. AM04)."))
    with transaction.atomic():
        lock_family(line.family)
        line = (
            DebitLine.objects.select_for_update().select_related("batch", "mandate").get(pk=line.pk)
        )
        if line.status == DebitLine.Status.REJECTED:
            return line
        if line.status != DebitLine.Status.COLLECTED or line.payment_id is None:
            raise BillingError(_("Only a debit sent to the bank can be rejected."))
        on_date = on_date or timezone.localdate()
        with translation.override(settings.LANGUAGE_CODE):
            note = f"{code} — {reject_reason_label(code)}"
        reversal = reverse_payment(
            line.payment,
            reason=PaymentReversal.Reason.DEBIT_REJECTED,
            on_date=on_date,
            by=by,
            reference=f"REJ-{line.end_to_end_id}",
            note=note,
        )
        line.reversal = reversal
        line.status = DebitLine.Status.REJECTED
        line.reject_code = code
        line.reject_date = on_date
        dd_settings = direct_debit_settings(line.batch.structure)
        if dd_settings.reject_fee > 0:
            line.fee_invoice = _invoice_reject_fee(line, dd_settings, on_date, by)
        line.save(update_fields=["reversal", "status", "reject_code", "reject_date", "fee_invoice"])
        mandate = Mandate.objects.select_for_update().get(pk=line.mandate_id)
        mandate.consecutive_rejects = _rejects_in_a_row(mandate)
        fields = ["consecutive_rejects"]
        if (
            mandate.consecutive_rejects >= REJECTS_BEFORE_SUSPENSION
            and mandate.status == Mandate.Status.ACTIVE
        ):
            mandate.status = Mandate.Status.SUSPENDED
            fields.append("status")
            _exclude_pending_lines(mandate, by)
            log(instance=mandate, action="billing.suspend_mandate", user=by)
        mandate.save(update_fields=fields)
        log(
            instance=line.batch,
            action="billing.reject_debit",
            user=by,
            data={"line": line.pk, "code": code, "amount": str(line.amount)},
        )
        if notify:
            line_id = line.pk
            transaction.on_commit(lambda: send_reject_notice(line_id), robust=True)
        return line


def _rejects_in_a_row(mandate):
    """Rejected debits since the mandate's last debit that went through."""
    count = 0
    for status in (
        mandate.debits.filter(status__in=[DebitLine.Status.COLLECTED, DebitLine.Status.REJECTED])
        .order_by("-batch__collection_date", "-pk")
        .values_list("status", flat=True)
    ):
        if status != DebitLine.Status.REJECTED:
            break
        count += 1
    return count


def _invoice_reject_fee(line, dd_settings, on_date, by):
    with translation.override(settings.LANGUAGE_CODE):
        label = _("Direct debit reject fee (%(date)s, %(code)s)") % {
            "date": line.batch.collection_date.strftime("%d/%m/%Y"),
            "code": line.reject_code,
        }
    draft = create_draft_invoice(
        line.family,
        [LineData(label, on_date, 1, dd_settings.reject_fee, Category.PENALITE)],
        by=by,
    )
    return issue_invoice(draft, by=by, issue_date=on_date, notify=False)


def send_reject_notice(line_id):
    line = DebitLine.objects.select_related("batch__structure", "family", "mandate").get(pk=line_id)
    recipients = [g.email for g in line.family.guardians.all() if g.email]
    if not recipients:
        return 0
    context = {
        "line": line,
        "family": line.family,
        "structure": line.batch.structure,
        "mandate": line.mandate,
        "reason": reject_reason_label(line.reject_code),
        "balance": family_balance(line.family),
        "suspended": line.mandate.status == Mandate.Status.SUSPENDED,
        "account_url": settings.SITE_URL + reverse("billing:account"),
    }
    return _send_mail("billing/email/debit_rejected", context, recipients)


def find_line_for_return(structure, end_to_end_id):
    """The debit a bank return names, looked up within one structure only."""
    if not end_to_end_id:
        return None
    return DebitLine.objects.filter(batch__structure=structure, end_to_end_id=end_to_end_id).first()


MAX_RETURN_BYTES = 10 * 1024 * 1024


def import_bank_return(structure, data, *, by):
    """Record the rejects of a camt.054 debit notification: returns (rejects recorded, lines
    already rejected, problems as sentences). Nothing is recorded if the file is unreadable;
    every known reject is recorded, each in its own transaction, once.
    """
    from .camt import CamtError, parse_camt054

    try:
        entries = parse_camt054(data)
    except CamtError as exc:
        raise BillingError(str(exc)) from None
    recorded, already, problems = 0, 0, []
    for entry in entries:
        line = find_line_for_return(structure, entry.end_to_end_id)
        if line is None:
            problems.append(
                _("No debit of this structure has the reference %(ref)s.")
                % {"ref": entry.end_to_end_id or "—"}
            )
            continue
        if line.status == DebitLine.Status.REJECTED:
            already += 1
            continue
        try:
            record_reject(line, code=entry.reason_code, on_date=entry.booking_date, by=by)
        except (BillingError, ValidationError) as exc:
            problems.append(f"{entry.end_to_end_id}: {exc.messages[0]}")
            continue
        recorded += 1
    return recorded, already, problems


def batch_totals(batch):
    lines = batch.lines.exclude(status=DebitLine.Status.EXCLUDED)
    totals = lines.aggregate(total=Sum("amount"))
    return {
        "count": lines.count(),
        "total": totals["total"] or ZERO,
        "total_display": format_euros(totals["total"] or ZERO),
        "rejected": batch.lines.filter(status=DebitLine.Status.REJECTED).count(),
    }


def rotate_iban_encryption():
    """Encrypt every stored IBAN again with the newest key of IBAN_ENCRYPTION_KEYS."""
    count = 0
    for mandate in Mandate.objects.all().iterator():
        mandate.save(update_fields=["iban"])
        count += 1
    return count


def families_with_pending_debit(structure):
    """Ids of families whose active mandate has a debit announced and not yet collected."""
    return set(
        DebitLine.objects.filter(
            batch__structure=structure,
            status=DebitLine.Status.PENDING,
            batch__status=DebitBatch.Status.PREPARED,
            mandate__status=Mandate.Status.ACTIVE,
        ).values_list("family_id", flat=True)
    )
