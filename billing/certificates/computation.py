"""What the yearly childcare certificates say, computed from the ledger (no writes here).

The rules (reference: article 200 quater B du CGI, see docs/certificates.md):

- Only care ("garde") counts; meals, snacks, outings, penalties, membership fees and other
  lines are shown as excluded. Which paid euros are care is decided by the allocations
  (lettrage) the billing services write: oldest invoice first, pro rata across the lines of
  a partly paid invoice.
- A paid euro counts in the later of the year it was paid and the year the care it paid
  for ended: December care paid in January counts in January's year, a December
  prepayment for January care in January's year. A refund reduces the year it is paid
  out (or the later year of the care); a bounced cheque or a recording error cancels the
  payment where it counted, since that money was never received.
- Credit notes are not money: the lines they settle are not paid by the family.
- Payments by third parties (CAF, commune, works council) are not family payments.
- Each paying guardian gets their own certificate, at their own address when they have one
  (separated parents); payments recorded without a paying guardian make one certificate
  in the family's name, at the family's address.
- Children under 6 on 1 January N get the tax-credit certificate; a child born on
  1 January N-6 is flagged for the director; older children get a payment certificate.

`compute_certificates(family, year)` and `compute_certificates_bulk(families, year)` both
return `FamilyYear` objects; the bulk variant makes the same handful of queries per chunk of
families, whatever their number and history.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property

from django.conf import settings
from django.db.models import DecimalField, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.money import ZERO, split_pro_rata
from parents.addresses import guardian_addresses
from parents.models import Family, Guardian

from ..ledger.models import (
    PAYMENT_LABELS,
    Allocation,
    Category,
    Payment,
    PaymentMethod,
    PaymentReversal,
)
from .models import Certificate

# Bump when the rules change: the content hash then changes and certificates are reissued.
RULES_VERSION = 1
FAMILY_PAYER = "family"
CHUNK_SIZE = 500


class Reason:
    """Why a paid euro is not in the certified amount (codes stored in the content)."""

    THIRD_PARTY = "third_party"
    LATER_YEAR = "later_year"
    CREDIT_NOTE = "credit_note"
    NO_CHILD = "no_child"


REASON_LABELS = {
    Category.REPAS: _("Meals and snacks are not childcare costs."),
    Category.SORTIE: _("Outings and supplements are not childcare costs."),
    Category.PENALITE: _(
        "Penalties (absence, late pick-up, late cancellation) are not childcare costs."
    ),
    Category.ADHESION: _("Membership fees are not childcare costs."),
    Category.AUTRE: _("This charge is not a childcare cost."),
    Reason.THIRD_PARTY: _(
        "Paid directly to the association by a third party (CAF, commune, works council): "
        "not a payment of the family."
    ),
    Reason.CREDIT_NOTE: _("Settled by a credit note, not by a payment."),
    Reason.NO_CHILD: _("This line is not for a particular child."),
}


class Flag:
    BIRTHDAY = "birthday"
    NEGATIVE = "negative"
    WITHDRAWN = "withdrawn"


FLAG_LABELS = {
    Flag.BIRTHDAY: _(
        "%(child)s was born on 1 January %(year)s: exactly 6 on 1 January. The tax office "
        "counts children born in %(year)s; check before publishing."
    ),
    Flag.NEGATIVE: _("Refunds to %(child)s's payer exceed what was paid for care this year."),
    Flag.WITHDRAWN: _(
        "Nothing is left to certify: the payments of the published certificate were "
        "reversed or moved."
    ),
}


def tax_credit_eligibility(birth_date, year):
    """(kind, flag) for a child in year N: under 6 on 1 January N gives the tax credit.

    Born on 1 January N-6, the child is exactly 6 that day; the tax office's own wording
    ("born in N-6 or later") still counts it, so it gets the tax-credit certificate and a
    flag for the director to check.
    """
    limit = date(year - 6, 1, 1)
    if birth_date > limit:
        return Certificate.Kind.TAX_CREDIT, ""
    if birth_date == limit:
        return Certificate.Kind.TAX_CREDIT, Flag.BIRTHDAY
    return Certificate.Kind.PAYMENT, ""


@dataclass
class Row:
    """Money that settled (or un-settled) one invoice line, netted per payment and line."""

    # "payment", "refund", "cancelled" (bounced, error), "credit_note", or "displaced" (a
    # payment whose place a credit note took on the line it corrects)
    source: str
    date: date
    year: int  # the year this money counts in
    amount: object
    line_id: int
    line_label: str
    invoice_number: str
    category: str
    service_date: date
    service_end: date
    child_id: int | None
    payment_id: int | None = None
    payment_label: str = ""
    method: str = ""
    credit_note_number: str = ""
    family_id: int | None = None
    payer_id: int | None = None
    payer_kind: str = ""
    counted: bool = False
    reason: str = ""
    # (days in this part, days of the whole line) when a line spanning two years is split
    days: tuple | None = None

    def as_content(self):
        content = {
            "source": self.source,
            "date": self.date.isoformat(),
            "year": self.year,
            "amount": str(self.amount),
            "invoice": self.invoice_number,
            "line": self.line_label,
            "category": self.category,
            "service_date": self.service_date.isoformat(),
            "service_end": self.service_end.isoformat(),
            "payment": self.payment_label or self.credit_note_number,
            "method": self.method,
            "counted": self.counted,
            "reason": self.reason,
        }
        if self.source == "displaced":
            content["credit_note"] = self.credit_note_number
        if self.days:
            content["days"] = list(self.days)
        return content


@dataclass
class ChildPart:
    """What one payer paid for one child, counted and not."""

    child: object
    kind: str
    flag: str = ""
    rows: list = field(default_factory=list)
    shared_rows: list = field(default_factory=list)  # third parties, credit notes

    # The aggregates below are read many times once the rows are placed, never before.

    def _sum(self, rows):
        return sum((row.amount for row in rows), ZERO)

    @cached_property
    def counted_rows(self):
        return [row for row in self.rows if row.counted]

    @cached_property
    def care(self):
        return self._sum(self.counted_rows)

    @cached_property
    def cesu(self):
        return self._sum(row for row in self.counted_rows if row.method == PaymentMethod.CESU)

    @cached_property
    def in_year_rows(self):
        return [row for row in self.rows if row.reason != Reason.LATER_YEAR]

    @cached_property
    def total_paid(self):
        return self._sum(self.in_year_rows)

    @cached_property
    def excluded(self):
        """{reason: amount} of what this payer paid in the year that is not care."""
        totals = defaultdict(lambda: ZERO)
        for row in self.in_year_rows:
            if not row.counted:
                totals[row.reason] += row.amount
        return {reason: amount for reason, amount in totals.items() if amount}

    @cached_property
    def excluded_total(self):
        return self.total_paid - self.care

    @cached_property
    def third_party(self):
        return self._sum(row for row in self.shared_rows if row.reason == Reason.THIRD_PARTY)

    @cached_property
    def period(self):
        rows = self.counted_rows
        if not rows:
            return None, None
        return min(row.service_date for row in rows), max(row.service_end for row in rows)

    def as_content(self):
        start, end = self.period
        child = self.child
        return {
            "child_id": child.pk,
            "first_name": child.first_name,
            "last_name": child.last_name,
            "birth_date": child.birth_date.isoformat(),
            "kind": self.kind,
            "flag": self.flag,
            "care": str(self.care),
            "cesu": str(self.cesu),
            "total_paid": str(self.total_paid),
            "excluded_total": str(self.excluded_total),
            "excluded": {reason: str(amount) for reason, amount in sorted(self.excluded.items())},
            "third_party": str(self.third_party),
            "period_start": start.isoformat() if start else None,
            "period_end": end.isoformat() if end else None,
            "rows": [row.as_content() for row in sorted(self.rows + self.shared_rows, key=_order)],
        }


def _order(row):
    # A total order, so that the same rows always make the same content (and hash).
    return (
        row.date,
        row.invoice_number,
        row.line_id,
        row.source,
        row.amount,
        row.payment_label,
        row.credit_note_number,
        row.reason,
    )


@dataclass
class PayerPart:
    key: str
    guardian: object  # None for payments recorded without a paying guardian
    name: str
    address: str
    children: dict = field(default_factory=dict)  # child id -> ChildPart
    other_rows: list = field(default_factory=list)  # lines for no child

    def documents(self, family, year):
        """{kind: CertificateContent} of this payer: one document per kind of certificate,
        listing the children whose care this payer paid.
        """
        by_kind = defaultdict(list)
        # Eldest first, whatever order the allocations came in: the content must not vary.
        parts = sorted(
            self.children.values(),
            key=lambda part: (part.child.birth_date, part.child.first_name, part.child.pk),
        )
        for part in parts:
            if part.care != ZERO:
                by_kind[part.kind].append(part)
        return {
            kind: CertificateContent(family, year, self, kind, parts)
            for kind, parts in by_kind.items()
        }


@dataclass
class CertificateContent:
    """One certificate to be: a payer, a kind, the children, and the frozen content."""

    family: object
    year: int
    payer: PayerPart
    kind: str
    parts: list

    @property
    def key(self):
        return (self.family.pk, self.payer.key, self.year, self.kind)

    @property
    def flags(self):
        flags = []
        for part in self.parts:
            name = f"{part.child.first_name} {part.child.last_name}"
            if part.flag:
                flags.append((part.flag, name))
            if part.care < 0:
                flags.append((Flag.NEGATIVE, name))
        return flags

    def flag_reason(self):
        """The flags in words, for the director (in the site's language)."""
        with translation.override(settings.LANGUAGE_CODE):
            return "\n".join(
                str(FLAG_LABELS[flag] % {"child": name, "year": self.year - 6})
                for flag, name in self.flags
            )

    @property
    def care(self):
        return sum((part.care for part in self.parts), ZERO)

    @property
    def cesu(self):
        return sum((part.cesu for part in self.parts), ZERO)

    @property
    def excluded(self):
        return sum((part.excluded_total for part in self.parts), ZERO)

    def as_content(self):
        structure = self.family.structure
        association = structure.association
        signature = structure.certificate_signature
        return {
            "rules": RULES_VERSION,
            "year": self.year,
            "kind": self.kind,
            "provider": {
                "association_name": association.name,
                "legal_form": association.legal_form,
                "association_address": association.address,
                "siret": structure.legal_siret,
                "structure_name": structure.name,
                "structure_address": structure.address,
                "declaration_reference": structure.declaration_reference,
                "place": structure.certificate_place,
                "signatory_name": structure.certificate_signatory_name,
                "signatory_role": structure.certificate_signatory_role,
                "signature": signature.file.name if signature else "",
            },
            "family_reference": self.family.reference,
            "payer": {"name": self.payer.name, "address": self.payer.address},
            "children": [part.as_content() for part in self.parts],
            "totals": {
                "care": str(self.care),
                "cesu": str(self.cesu),
                "excluded": str(self.excluded),
            },
            "flags": [flag for flag, _name in self.flags],
        }


def content_hash(content):
    """A stable fingerprint of what a certificate says."""
    data = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


@dataclass
class FamilyYear:
    """Everything the certificates of one family for one year rest on."""

    family: object
    year: int
    payers: dict = field(default_factory=dict)  # payer key -> PayerPart
    shared_rows: dict = field(default_factory=dict)  # child id -> [Row]
    # guardian id -> the guardian's own address (separated parents), when they have one
    guardian_addresses: dict = field(default_factory=dict)
    unallocated: object = ZERO  # received in the year, not settling any line yet

    def documents(self):
        """[CertificateContent] of the family, payer by payer."""
        result = []
        for _key, payer in sorted(self.payers.items()):
            documents = payer.documents(self.family, self.year)
            result += [documents[kind] for kind in sorted(documents)]
        return result


def compute_certificates(family, year):
    """The breakdown of one family's certificates for `year` (see the module docstring)."""
    return compute_certificates_bulk(Family.objects.filter(pk=family.pk), year)[0]


def compute_certificates_bulk(families, year, *, chunk_size=CHUNK_SIZE):
    """`compute_certificates` for many families: a fixed number of queries per chunk."""
    return [item for chunk in iter_certificates(families, year, chunk_size) for item in chunk]


def iter_certificates(families, year, chunk_size=CHUNK_SIZE):
    """Yield lists of `FamilyYear`, one list per chunk of families, in family order."""
    queryset = (
        families.select_related("structure__association", "structure__certificate_signature")
        .prefetch_related(
            Prefetch("guardians", queryset=Guardian.objects.order_by("pk")), "children"
        )
        .order_by("pk")
    )
    ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(ids), chunk_size):
        chunk = list(queryset.filter(pk__in=ids[start : start + chunk_size]))
        yield _compute_chunk(chunk, year)


ALLOCATION_FIELDS = (
    "amount",
    "payment_id",
    "reversal_id",
    "credit_note_id",
    "invoice_line_id",
    "invoice_line__label",
    "invoice_line__category",
    "invoice_line__service_date",
    "invoice_line__service_end",
    "invoice_line__child_id",
    "invoice_line__invoice__number",
    "invoice_line__invoice__family_id",
    "payment__date",
    "payment__method",
    "payment__cheque_number",
    "payment__reference",
    "payment__payer_id",
    "payment__payer_kind",
    "reversal__date",
    "reversal__reason",
    "credit_note__number",
    "credit_note__issue_date",
    "displaced_by_id",
    "displaced_by__number",
    "displaced_by__issue_date",
)


def _compute_chunk(families, year):
    start, end = date(year, 1, 1), date(year, 12, 31)
    addresses = guardian_addresses(
        guardian.pk for family in families for guardian in family.guardians.all()
    )
    by_id = {
        family.pk: FamilyYear(family, year, guardian_addresses=addresses) for family in families
    }
    # Everything that may count in the year, or that was paid in it and counts later.
    rows = (
        Allocation.objects.filter(invoice_line__invoice__family_id__in=list(by_id))
        .annotate(care_end=Coalesce("invoice_line__service_end", "invoice_line__service_date"))
        .filter(
            Q(payment__date__range=(start, end))
            | Q(reversal__date__range=(start, end))
            | Q(credit_note__issue_date__range=(start, end))
            | Q(displaced_by__issue_date__range=(start, end))
            | Q(care_end__range=(start, end))
        )
        .order_by()
        .values_list(*ALLOCATION_FIELDS)
    )
    netted = {}
    with translation.override(settings.LANGUAGE_CODE):
        method_labels = {method: str(label) for method, label in PAYMENT_LABELS.items()}
        payment_word = str(_("Payment"))
    for values in rows.iterator(chunk_size=5000):
        row_key, row = _row(values, method_labels, payment_word)
        if row.year < year:
            continue
        if row_key in netted:
            netted[row_key].amount += row.amount
        else:
            netted[row_key] = row
    for netted_row in netted.values():
        if not netted_row.amount:
            continue
        for row in split_by_year(netted_row):
            if row.year < year:
                continue
            _classify(row, year)
            _place(by_id[row.family_id], row)
    _add_unallocated(by_id, start, end)
    for family_year in by_id.values():
        for payer in family_year.payers.values():
            for child_id, part in payer.children.items():
                part.shared_rows = family_year.shared_rows.get(child_id, [])
    return list(by_id.values())


def _row(values, method_labels, payment_word):
    """A `Row` from one allocation's values (in `ALLOCATION_FIELDS` order) and its netting
    key: rows of the same money on the same line add up.
    """
    (
        amount,
        payment_id,
        reversal_id,
        credit_note_id,
        line_id,
        line_label,
        category,
        service_date,
        service_end,
        child_id,
        invoice_number,
        family_id,
        paid_on,
        method,
        cheque_number,
        reference,
        payer_id,
        payer_kind,
        reversed_on,
        reversal_reason,
        credit_note_number,
        credited_on,
        displaced_by_id,
        displaced_by_number,
        displaced_on,
    ) = values
    service_end = service_end or service_date
    common = {
        "amount": amount,
        "line_id": line_id,
        "line_label": line_label,
        "invoice_number": invoice_number,
        "category": category,
        "service_date": service_date,
        "service_end": service_end,
        "child_id": child_id,
        "family_id": family_id,
    }
    if payment_id is None:
        row = Row(
            source="credit_note",
            date=credited_on,
            year=max(credited_on.year, service_end.year),
            credit_note_number=credit_note_number,
            **common,
        )
        return ("c", credit_note_id, line_id), row
    if displaced_by_id:
        # A credit note took this payment's place on the line it corrects: for the family,
        # like a refund on the day of the credit note (the money paid something else).
        source, when = "displaced", displaced_on
    elif reversal_id and reversal_reason == PaymentReversal.Reason.REFUND:
        # Money given back: it reduces the year it is paid out.
        source, when = "refund", reversed_on
    elif reversal_id:
        # A bounced cheque or a recording error: the money never came in at all.
        source, when = "cancelled", paid_on
    else:
        source, when = "payment", paid_on
    parts = (payment_word, method_labels.get(method, method), cheque_number or reference)
    row = Row(
        source=source,
        date=when,
        year=max(when.year, service_end.year),
        payment_id=payment_id,
        payment_label=" ".join(part for part in parts if part),
        method=method,
        payer_id=payer_id,
        payer_kind=payer_kind,
        credit_note_number=displaced_by_number or "",
        **common,
    )
    return ("p", payment_id, reversal_id, displaced_by_id, line_id, source), row


def split_by_year(row):
    """A line whose care runs over two years (29 December to 2 January) counts in each year
    for its days there: the money is split by days, to the cent, one part per year.
    """
    first, last = row.service_date, row.service_end
    if first.year == last.year:
        return [row]
    spans = [
        (max(first, date(y, 1, 1)), min(last, date(y, 12, 31)))
        for y in range(first.year, last.year + 1)
    ]
    days = [(end - start).days + 1 for start, end in spans]
    total = sum(days)
    shares = split_pro_rata(row.amount, days)
    return [
        replace(
            row,
            amount=share,
            service_date=start,
            service_end=end,
            year=max(row.date.year, start.year),
            days=(count, total),
        )
        for (start, end), count, share in zip(spans, days, shares, strict=True)
        if share
    ]


def _classify(row, year):
    if row.source == "credit_note":
        row.reason = Reason.CREDIT_NOTE
    elif row.year > year:
        row.reason = Reason.LATER_YEAR
    elif row.payer_kind == Payment.PayerKind.THIRD_PARTY:
        row.reason = Reason.THIRD_PARTY
    elif row.child_id is None:
        row.reason = Reason.NO_CHILD
    elif row.category != Category.GARDE:
        row.reason = row.category
    else:
        row.counted = True


def _place(family_year, row):
    if row.reason in (Reason.THIRD_PARTY, Reason.CREDIT_NOTE):
        if row.year == family_year.year and row.child_id:
            family_year.shared_rows.setdefault(row.child_id, []).append(row)
        return
    payer = _payer(family_year, row.payer_id)
    if row.child_id is None:
        payer.other_rows.append(row)
        return
    part = payer.children.get(row.child_id)
    if part is None:
        child = next(c for c in family_year.family.children.all() if c.pk == row.child_id)
        kind, flag = tax_credit_eligibility(child.birth_date, family_year.year)
        part = payer.children[row.child_id] = ChildPart(child=child, kind=kind, flag=flag)
    part.rows.append(row)


def _payer(family_year, guardian_id):
    key = f"g{guardian_id}" if guardian_id else FAMILY_PAYER
    payer = family_year.payers.get(key)
    if payer is None:
        family = family_year.family
        guardians = list(family.guardians.all())
        guardian = next((g for g in guardians if g.pk == guardian_id), None)
        address = family.postal_address
        if guardian is not None:
            name = f"{guardian.civility} {guardian.full_name}".strip()
            # A guardian living elsewhere gets their certificate at their own address.
            address = family_year.guardian_addresses.get(guardian.pk) or address
        else:
            names = [f"{g.civility} {g.full_name}".strip() for g in guardians]
            name = " et ".join(names) if names else family.name
        payer = family_year.payers[key] = PayerPart(
            key=key, guardian=guardian, name=name, address=address
        )
    return payer


def _add_unallocated(by_id, start, end):
    """Money received in the year that settles no invoice line yet (family credit)."""
    allocated = (
        Allocation.objects.filter(payment=OuterRef("pk"))
        .order_by()
        .values("payment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    reversed_ = (
        PaymentReversal.objects.filter(payment=OuterRef("pk"))
        .order_by()
        .values("payment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=10, decimal_places=2)
    payments = (
        Payment.objects.filter(
            family_id__in=list(by_id),
            date__range=(start, end),
            payer_kind=Payment.PayerKind.FAMILY,
        )
        .annotate(
            allocated=Coalesce(Subquery(allocated, output_field=money), ZERO, output_field=money),
            reversed_total=Coalesce(
                Subquery(reversed_, output_field=money), ZERO, output_field=money
            ),
        )
        .values_list("family_id", "amount", "allocated", "reversed_total")
    )
    for family_id, amount, allocated_total, reversed_total in payments:
        left = amount - reversed_total - allocated_total
        if left > 0:
            by_id[family_id].unallocated += left
