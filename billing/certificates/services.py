"""Issuing, rendering and publishing the yearly certificates: the only writers of them.

- `issue_attestations` turns the computation of `billing.certificates.computation` into
  certificates.
  It is idempotent: a certificate whose content did not change is left alone (same hash);
  a change makes a new version. A draft replaced by a newer draft is marked replaced at
  once; a published certificate stays published until its new version is published.
- `publish_attestations` publishes a structure's drafts for a year (flagged ones only once
  a director has reviewed them), marks the versions they correct as replaced, and emails
  the guardians once the certificates are visible (from the structure's publication date).
- PDFs are rendered from the frozen content alone, so they can be rendered by worker
  processes that never touch the database (`CertificateRenderer`).

Every write runs in `transaction.atomic()` and leaves audit entries.
"""

import functools
import logging
import mimetypes
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from core.money import ZERO
from core.storage import private_storage
from parents.models import Family, Structure

from .computation import FLAG_LABELS, Flag, content_hash, iter_certificates
from .models import Certificate

logger = logging.getLogger(__name__)


class CertificateError(ValidationError):
    """A refused change to a certificate, with a message for the director who asked."""


PDF_TEMPLATE = "billing/pdf/certificate.html"
PDF_STYLESHEET = "billing/pdf/certificate.css"


# --- Numbers ----------------------------------------------------------------------------------


def certificate_number(structure_slug, year, serial, version):
    """AT2025-BRAX-00042, then AT2025-BRAX-00042-V2 for its first correction."""
    number = f"AT{year}-{structure_slug.upper()}-{serial:05d}"
    return number if version == 1 else f"{number}-V{version}"


# --- Generation -------------------------------------------------------------------------------


@dataclass
class GenerationSummary:
    """What a generation did (or would do, in a dry run)."""

    year: int
    families: int = 0
    total_families: int = 0
    generated: int = 0
    unchanged: int = 0
    flagged: int = 0
    withdrawn: int = 0
    rendered: int = 0
    flagged_cases: list = field(default_factory=list)  # (number, family, reason)
    elapsed: float = 0.0


def issue_attestations(
    year,
    *,
    structure=None,
    families=None,
    by=None,
    dry_run=False,
    workers=1,
    progress=None,
    chunk_size=500,
):
    """Generate the certificates of `year` for the families of `structure` (or `families`,
    a queryset), and render their PDFs with `workers` processes.

    Idempotent: what did not change is not regenerated. Each chunk of families is written
    in one transaction; PDFs are rendered after it commits, and any certificate left
    without a PDF (an interrupted run) is rendered on the next run. `progress(summary)` is
    called after each chunk.
    """
    started = time.monotonic()
    queryset = Family.objects.all() if families is None else families
    if structure is not None:
        queryset = queryset.filter(structure=structure)
    summary = GenerationSummary(year=year, total_families=queryset.count())
    renderer = None if dry_run else CertificateRenderer(workers)
    try:
        for chunk in iter_certificates(queryset, year, chunk_size):
            created = _issue_chunk(chunk, year, summary, by=by, dry_run=dry_run)
            summary.families += len(chunk)
            if renderer is not None:
                renderer.submit(created)
                summary.rendered += renderer.collect(max_pending=2)
            if progress is not None:
                progress(summary)
        if renderer is not None:
            missing = Certificate.objects.filter(family__in=queryset, year=year, pdf="").exclude(
                status=Certificate.Status.REPLACED
            )
            renderer.submit(list(missing))
            summary.rendered += renderer.finish()
    finally:
        if renderer is not None:
            renderer.close()
    summary.elapsed = time.monotonic() - started
    if not dry_run:
        _log_run(structure, year, summary, by)
    if progress is not None:
        progress(summary)
    return summary


def _issue_chunk(chunk, year, summary, *, by, dry_run):
    """Write one chunk of families' certificates; return the certificates created."""
    family_ids = [item.family.pk for item in chunk]
    with transaction.atomic():
        structures = {item.family.structure_id: item.family.structure for item in chunk}
        if not dry_run:
            # Serial numbers are taken under the structure's row lock: two runs at once
            # (the command and the admin) queue instead of giving a number twice.
            list(Structure.objects.select_for_update().filter(pk__in=list(structures)))
        heads = {}
        for certificate in (
            Certificate.objects.filter(family_id__in=family_ids, year=year)
            .exclude(status=Certificate.Status.REPLACED)
            .defer("content")
            .order_by("version")
        ):
            key = (certificate.family_id, certificate.payer_key, year, certificate.kind)
            heads[key] = certificate  # the highest version wins
        published_series = set(
            Certificate.objects.filter(
                family_id__in=family_ids, year=year, published_at__isnull=False
            ).values_list("family_id", "payer_key", "kind")
        )
        to_create = []  # (certificate, head it follows or None)
        seen = set()
        for item in chunk:
            for document in item.documents():
                seen.add(document.key)
                content = document.as_content()
                digest = content_hash(content)
                head = heads.get(document.key)
                if head is not None and head.content_hash == digest:
                    summary.unchanged += 1
                    if head.flagged and head.reviewed_at is None:
                        summary.flagged += 1
                        summary.flagged_cases.append(
                            (head.number, str(item.family), head.flag_reason)
                        )
                    continue
                certificate = Certificate(
                    structure_id=item.family.structure_id,
                    family=item.family,
                    payer=document.payer.guardian,
                    payer_key=document.payer.key,
                    year=year,
                    kind=document.kind,
                    payer_name=document.payer.name,
                    children_names=", ".join(
                        f"{part.child.first_name} {part.child.last_name}" for part in document.parts
                    )[:500],
                    care_amount=document.care,
                    cesu_amount=document.cesu,
                    excluded_amount=document.excluded,
                    content=content,
                    content_hash=digest,
                    flag_reason=document.flag_reason(),
                    created_by=by,
                )
                certificate.flagged = bool(certificate.flag_reason)
                _keep_conversion(certificate, head)
                to_create.append((certificate, head))
        for key, head in heads.items():
            if key in seen or (head.care_amount == ZERO and not head.children_names):
                continue
            # Nothing to certify any more for a series that had a certificate.
            if (head.family_id, head.payer_key, head.kind) not in published_series:
                if not dry_run:
                    _discard_draft(head, by)
                summary.withdrawn += 1
                continue
            family = next(item.family for item in chunk if item.family.pk == head.family_id)
            to_create.append((_withdrawal(head, family, by), head))
            summary.withdrawn += 1
        summary.generated += len(to_create)
        if not dry_run and to_create:
            _number(to_create, structures, year)
        for certificate, _head in to_create:
            if certificate.flagged:
                summary.flagged += 1
                summary.flagged_cases.append(
                    (certificate.number or "—", str(certificate.family), certificate.flag_reason)
                )
        if dry_run or not to_create:
            return []
        created = Certificate.objects.bulk_create([c for c, _head in to_create])
        replaced_drafts = []
        for certificate, head in to_create:
            if head is not None and head.status == Certificate.Status.DRAFT:
                head.status = Certificate.Status.REPLACED
                head.superseded_by = certificate
                replaced_drafts.append(head)
        Certificate.objects.bulk_update(replaced_drafts, ["status", "superseded_by"])
        _log_certificates(created, "billing.issue_attestation", by)
        return created


def _number(to_create, structures, year):
    """Give serials and numbers: a new version keeps its series' serial."""
    last_serial = {}
    for certificate, head in to_create:
        structure = structures[certificate.structure_id]
        if head is not None:
            certificate.serial, certificate.version = head.serial, head.version + 1
        else:
            if structure.pk not in last_serial:
                top = Certificate.objects.filter(structure=structure, year=year).aggregate(
                    top=Max("serial")
                )["top"]
                last_serial[structure.pk] = top or 0
            last_serial[structure.pk] += 1
            certificate.serial, certificate.version = last_serial[structure.pk], 1
        certificate.number = certificate_number(
            structure.slug, year, certificate.serial, certificate.version
        )


def _withdrawal(head, family, by):
    """A new version of a published certificate saying nothing is left to certify."""
    content = {
        **head.content,
        "children": [],
        "totals": {"care": "0.00", "cesu": "0.00", "excluded": "0.00"},
        "flags": [Flag.WITHDRAWN],
    }
    with translation.override(settings.LANGUAGE_CODE):
        reason = str(FLAG_LABELS[Flag.WITHDRAWN])
    withdrawal = Certificate(
        structure_id=head.structure_id,
        family=family,
        payer_id=head.payer_id,
        payer_key=head.payer_key,
        year=head.year,
        kind=head.kind,
        payer_name=head.payer_name,
        children_names="",
        care_amount=ZERO,
        cesu_amount=ZERO,
        excluded_amount=ZERO,
        content=content,
        content_hash=content_hash(content),
        flagged=True,
        flag_reason=reason,
        created_by=by,
    )
    _keep_conversion(withdrawal, head)
    return withdrawal


def _keep_conversion(certificate, head):
    """A new version of a series a director issued as a payment certificate stays one: the
    decision is about the child's eligibility, which a corrected amount does not change.
    """
    if head is not None and head.is_converted:
        certificate.converted_at = head.converted_at
        certificate.converted_by_id = head.converted_by_id
        certificate.conversion_reason = head.conversion_reason


def _discard_draft(draft, by):
    """A draft nobody saw, with nothing left to certify: it goes, with its file."""
    log(
        instance=draft,
        action="billing.discard_attestation",
        user=by,
        data={"number": draft.number},
    )
    if draft.pdf:
        draft.pdf.delete(save=False)
    draft.delete()


def _log_certificates(certificates, action, by, data=None):
    """One audit entry per certificate, written in bulk (a run makes thousands)."""
    if not certificates:
        return
    content_type = ContentType.objects.get_for_model(Certificate)
    now = timezone.now()
    ModelLogEntry.objects.bulk_create(
        [
            ModelLogEntry(
                content_type=content_type,
                object_id=str(certificate.pk),
                label=str(certificate)[:255],
                action=action,
                data={"number": certificate.number, **(data or {})},
                timestamp=now,
                user=by,
            )
            for certificate in certificates
        ]
    )


def _log_run(structure, year, summary, by):
    if structure is None:
        return
    log(
        instance=structure,
        action="billing.generate_attestations",
        user=by,
        data={
            "year": year,
            "generated": summary.generated,
            "unchanged": summary.unchanged,
            "flagged": summary.flagged,
        },
    )


# --- Review and publication -------------------------------------------------------------------


def review_attestation(certificate, *, by=None):
    """A director checked a flagged certificate: it may now be published."""
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if certificate.status != Certificate.Status.DRAFT or not certificate.flagged:
            return certificate
        certificate.reviewed_at = timezone.now()
        certificate.reviewed_by = by
        certificate.save(update_fields=["reviewed_at", "reviewed_by"])
        log(instance=certificate, action="billing.review_attestation", user=by)
        return certificate


def conversion_refusal(certificate):
    """Why `certificate` cannot be issued as a payment certificate, or "" when it can."""
    if certificate.status != Certificate.Status.DRAFT:
        return _(
            "Certificate %(number)s is published: it can no longer be changed. Record a "
            "correction and generate a new version instead."
        ) % {"number": certificate.number}
    if certificate.kind != Certificate.Kind.TAX_CREDIT or Flag.BIRTHDAY not in (
        certificate.content.get("flags") or []
    ):
        return _(
            "Only a tax-credit certificate flagged for a child born on 1 January can be "
            "issued as a payment certificate."
        )
    unflagged = [
        f"{child['first_name']} {child['last_name']}"
        for child in certificate.content["children"]
        if child["flag"] != Flag.BIRTHDAY
    ]
    if unflagged:
        # Those children are under 6 without doubt: their tax credit must stay.
        return _(
            "This certificate also covers children under 6 (%(names)s): it keeps the "
            "tax-credit wording."
        ) % {"names": ", ".join(unflagged)}
    return ""


def convert_to_payment_attestation(certificate, reason, *, by=None):
    """A director decides that a flagged tax-credit certificate (a child born on 1 January
    N-6) is issued as a plain payment certificate, never mentioning the tax credit.

    Only a draft can be converted: a published certificate is never changed. The decision
    counts as the review, is logged with its reason, and the draft's PDF is rendered again
    with the payment wording. Later versions of the series keep the decision.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Give the reason for issuing a payment certificate."))
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        refusal = conversion_refusal(certificate)
        if refusal:
            raise CertificateError(refusal)
        if certificate.is_converted and certificate.reviewed_at is not None:
            return certificate  # already decided (a form sent twice)
        now = timezone.now()
        certificate.converted_at = certificate.reviewed_at = now
        certificate.converted_by = certificate.reviewed_by = by
        certificate.conversion_reason = reason
        old_pdf = certificate.pdf.name
        certificate.pdf = ""
        certificate.save(
            update_fields=[
                "converted_at",
                "converted_by",
                "conversion_reason",
                "reviewed_at",
                "reviewed_by",
                "pdf",
            ]
        )
        log(
            instance=certificate,
            action="billing.convert_attestation",
            user=by,
            data={"number": certificate.number, "reason": reason},
        )
        render_certificate_pdfs([certificate])
        if old_pdf:
            # A draft's file, which parents never saw.
            transaction.on_commit(lambda: private_storage.delete(old_pdf))
        return certificate


@dataclass
class PublicationSummary:
    published: int = 0
    replaced: int = 0
    held: int = 0
    visible_from: date | None = None
    notified: int = 0


def publish_attestations(structure, year, *, by=None, today=None, notify=True):
    """Publish the structure's draft certificates of `year`; flagged drafts wait for review.

    A published certificate is never changed again: publishing its new version marks it
    replaced. Parents see them from the structure's publication date; the guardians are
    emailed once they can (now, or by `notify_due_attestations` on that date).
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        structure = Structure.objects.select_for_update().get(pk=structure.pk)
        drafts = Certificate.objects.filter(
            structure=structure, year=year, status=Certificate.Status.DRAFT
        )
        summary = PublicationSummary(visible_from=structure.certificate_publication_date(year))
        summary.held = drafts.filter(flagged=True, reviewed_at__isnull=True).count()
        ready = list(drafts.exclude(flagged=True, reviewed_at__isnull=True))
        render_certificate_pdfs([c for c in ready if not c.pdf])
        now = timezone.now()
        previous = {
            (c.family_id, c.payer_key, c.kind): c
            for c in Certificate.objects.filter(
                structure=structure, year=year, status=Certificate.Status.PUBLISHED
            )
        }
        replaced = []
        for certificate in ready:
            certificate.status = Certificate.Status.PUBLISHED
            certificate.published_at = now
            certificate.published_by = by
            certificate.visible_from = summary.visible_from
            old = previous.get((certificate.family_id, certificate.payer_key, certificate.kind))
            if old is not None:
                old.status = Certificate.Status.REPLACED
                old.superseded_by = certificate
                replaced.append(old)
        Certificate.objects.bulk_update(
            ready, ["status", "published_at", "published_by", "visible_from"]
        )
        Certificate.objects.bulk_update(replaced, ["status", "superseded_by"])
        summary.published, summary.replaced = len(ready), len(replaced)
        _log_certificates(ready, "billing.publish_attestation", by)
        log(
            instance=structure,
            action="billing.publish_attestations",
            user=by,
            data={"year": year, "published": summary.published, "held": summary.held},
        )
        if notify and ready and summary.visible_from <= today:
            transaction.on_commit(lambda: notify_due_attestations(today=today))
    return summary


def notify_due_attestations(*, today=None):
    """Email the guardians of families whose published certificates became visible and who
    were not told yet; each family gets one email. Returns the number of emails sent.
    """
    today = today or timezone.localdate()
    due = Certificate.objects.filter(
        status=Certificate.Status.PUBLISHED,
        notified_at__isnull=True,
        visible_from__lte=today,
    ).select_related("family__structure")
    by_family = defaultdict(list)
    for certificate in due:
        by_family[certificate.family].append(certificate)
    sent = 0
    for family, certificates in by_family.items():
        with transaction.atomic():
            claimed = Certificate.objects.filter(
                pk__in=[c.pk for c in certificates], notified_at__isnull=True
            ).update(notified_at=timezone.now())
            # Another run claimed them first: it sends the email.
            if claimed:
                sent += bool(send_certificates_published(family, certificates))
    return sent


def send_certificates_published(family, certificates):
    """Tell the guardians with an email address that new certificates are in their area."""
    recipients = [g.email for g in family.guardians.all() if g.email]
    if not recipients:
        return 0
    # As text: the `join` filter joins only strings when HTML escaping is off (text parts).
    years = [str(year) for year in sorted({c.year for c in certificates})]
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "family": family,
            "structure": family.structure,
            "certificates": certificates,
            "years": years,
            "corrected": any(c.version > 1 for c in certificates),
            "certificates_url": settings.SITE_URL + reverse("billing:certificates"),
        }
        subject = render_to_string(
            "billing/email/certificates_published_subject.txt", context
        ).strip()
        text = render_to_string("billing/email/certificates_published.txt", context)
        html = render_to_string("billing/email/certificates_published.html", context)
    message = EmailMultiAlternatives(subject, text, to=recipients)
    message.attach_alternative(html, "text/html")
    return message.send()


# --- PDFs -----------------------------------------------------------------------------------


def certificate_title(kind, year):
    """The title printed on the certificate; the payment one never names the tax credit."""
    if kind == Certificate.Kind.TAX_CREDIT:
        return _(
            "Childcare costs certificate — year %(year)s (article 200 quater B of the CGI)"
        ) % {"year": year}
    return _("Payment certificate — year %(year)s") % {"year": year}


def _as_date(value):
    return date.fromisoformat(value) if value else None


def _one_line(text):
    return ", ".join(line.strip() for line in text.splitlines() if line.strip())


def pdf_context(job):
    """The template context of a certificate, from its frozen content alone."""
    content = job["content"]
    children = [
        {
            **child,
            "birth_date": _as_date(child["birth_date"]),
            "period_start": _as_date(child["period_start"]),
            "period_end": _as_date(child["period_end"]),
            **{
                name: Decimal(child[name])
                for name in ("care", "cesu", "total_paid", "excluded_total", "third_party")
            },
        }
        for child in content["children"]
    ]
    # Addresses on one line each: fewer lines make a noticeably faster PDF.
    provider = {
        **content["provider"],
        "association_address": _one_line(content["provider"]["association_address"]),
        "structure_address": _one_line(content["provider"]["structure_address"]),
    }
    payer = {**content["payer"], "address": _one_line(content["payer"]["address"])}
    return {
        "title": certificate_title(job["kind"], job["year"]),
        "number": job["number"],
        "replaces": job["replaces"],
        "provider": provider,
        "payer": payer,
        "year": job["year"],
        "children": children,
        "totals": {name: Decimal(value) for name, value in content["totals"].items()},
        "issued_on": _as_date(job["issued_on"]),
        "signature_url": "signature:" if content["provider"].get("signature") else "",
    }


def _job(certificate):
    replaces = ""
    if certificate.version > 1:
        base = certificate.number.rsplit("-V", 1)[0]
        replaces = base if certificate.version == 2 else f"{base}-V{certificate.version - 1}"
    return {
        "id": certificate.pk,
        "number": certificate.number,
        "kind": certificate.document_kind,
        "year": certificate.year,
        "replaces": replaces,
        "issued_on": timezone.localdate(certificate.created_at).isoformat(),
        # The PDF prints no payment row: a year of them is left out of what is sent to the
        # workers (pickled in the parent, unpickled in a worker, for each certificate).
        "content": {
            **certificate.content,
            "children": [
                {name: value for name, value in child.items() if name != "rows"}
                for child in certificate.content["children"]
            ],
        },
    }


@functools.cache
def _signature(name):
    """The signature image bytes (read once per process) and their type."""
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    return data, mimetypes.guess_type(name)[0] or "image/png"


@functools.cache
def _fetcher(signature_name):
    """The URL fetcher of the certificates signed with this image (one per process)."""
    from weasyprint.urls import URLFetcherResponse

    from core.pdf import LocalOnlyURLFetcher

    class CertificateURLFetcher(LocalOnlyURLFetcher):
        """Local files, plus the structure's signature image under `signature:`."""

        def fetch(self, url, headers=None):
            if url == "signature:" and signature_name:
                data, content_type = _signature(signature_name)
                return URLFetcherResponse(url, body=data, headers={"Content-Type": content_type})
            return super().fetch(url, headers)

    return CertificateURLFetcher()


@functools.cache
def _stylesheet():
    """The certificate's stylesheet, parsed once per process rather than once per PDF."""
    from core.pdf import stylesheet

    return stylesheet(render_to_string(PDF_STYLESHEET))


def render_certificate(job):
    """PDF/UA-1 bytes of one certificate job (see `_job`), in French."""
    from core.pdf import render_pdf

    signature = job["content"]["provider"].get("signature", "")
    return render_pdf(
        PDF_TEMPLATE,
        pdf_context(job),
        url_fetcher=_fetcher(signature),
        stylesheets=[_stylesheet()],
        lean=True,
    )


def _render_and_store(job):
    """Worker side: render, store in private storage, return (id, stored name)."""
    data = render_certificate(job)
    name = f"certificates/{job['year']}/{job['number']}.pdf"
    return job["id"], private_storage.save(name, ContentFile(data))


class CertificateRenderer:
    """Renders certificate PDFs, in `workers` processes when more than one.

    Workers are forked once, before any rendering: they only read the content they are
    given and write files, never the database; the parent records the stored names.
    """

    def __init__(self, workers=1):
        self.workers = max(1, int(workers or 1))
        self.pool = None
        self.pending = []
        self.submitted = set()
        if self.workers > 1:
            from core.pdf import fork_pool

            _stylesheet()  # parsed once here, inherited by the workers
            self.pool = fork_pool(self.workers)

    def submit(self, certificates):
        """Queue PDFs to render; a certificate already queued by this renderer is skipped."""
        jobs = [_job(c) for c in certificates if c.pk not in self.submitted]
        self.submitted.update(job["id"] for job in jobs)
        if not jobs:
            return
        if self.pool is None:
            self._record([_render_and_store(job) for job in jobs])
            self.pending.append(len(jobs))
        else:
            self.pending.append(self.pool.map_async(_render_and_store, jobs, chunksize=8))

    def collect(self, wait=False, max_pending=None):
        """Record the PDFs of finished batches; return how many were recorded.

        With `max_pending`, wait until no more batches than that are left in flight: the
        caller then computes no further ahead than the workers render, which keeps memory
        bounded and the progress shown honest.
        """
        done = 0
        still = []
        for position, batch in enumerate(self.pending):
            must_wait = wait or (
                max_pending is not None and len(self.pending) - position > max_pending
            )
            if isinstance(batch, int):
                done += batch
            elif must_wait or batch.ready():
                results = batch.get()
                self._record(results)
                done += len(results)
            else:
                still.append(batch)
        self.pending = still
        return done

    def finish(self):
        return self.collect(wait=True)

    def close(self):
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None

    @staticmethod
    def _record(results):
        certificates = []
        for pk, name in results:
            certificate = Certificate(pk=pk)
            certificate.pdf.name = name
            certificates.append(certificate)
        Certificate.objects.bulk_update(certificates, ["pdf"])


def render_certificate_pdfs(certificates, workers=1):
    """Render and store the PDFs of the given certificates now."""
    renderer = CertificateRenderer(workers)
    try:
        renderer.submit(certificates)
        count = renderer.finish()
    finally:
        renderer.close()
    for certificate in certificates:
        certificate.refresh_from_db(fields=["pdf"])
    return count
