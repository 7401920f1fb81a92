"""Demo account histories. DUPONT gets exactly the manual's 2012 history (balance 36,07 €)."""

from datetime import date, timedelta
from decimal import Decimal

from parents.models import Family, Structure

from .ledger import services
from .ledger.services import LineData
from .models import Category, Invoice, Payment, PaymentMethod


def _invoice(family, number, issue_date, lines):
    existing = Invoice.objects.filter(structure=family.structure, number=number).first()
    if existing:
        return existing
    draft = services.create_draft_invoice(family, lines)
    return services.issue_invoice(draft, issue_date=issue_date, number=number, notify=False)


def _lines(child, *rows):
    """Invoice lines of one child from (label, from, to, quantity, unit price, category)."""
    return [
        LineData(
            label,
            date(*start),
            Decimal(quantity),
            Decimal(price),
            category,
            child=child,
            service_end=date(*end) if end else None,
        )
        for label, start, end, quantity, price, category in rows
    ]


def load():
    brax = Structure.objects.get(slug="brax")
    if brax.invoice_prefix != "2L" or brax.invoice_suffix != "EN":
        brax.invoice_prefix, brax.invoice_suffix = "2L", "EN"
        brax.save(update_fields=["invoice_prefix", "invoice_suffix"])
    levignac = Structure.objects.get(slug="levignac")
    if levignac.invoice_prefix != "LV":
        levignac.invoice_prefix = "LV"
        levignac.save(update_fields=["invoice_prefix"])

    dupont = Family.objects.get(structure=brax, reference="DUP001")
    lea = dupont.children.get(first_name="Léa")
    hugo = dupont.children.get(first_name="Hugo")
    garde, repas = Category.GARDE, Category.REPAS
    _invoice(
        dupont,
        "2L2012/0038EN",
        date(2012, 3, 9),
        _lines(hugo, ("Mercredi journée", (2012, 2, 29), (2012, 3, 7), "2", "3.86", garde)),
    )
    if not Payment.objects.filter(family=dupont, cheque_number="9038108").exists():
        services.record_payment(
            dupont,
            Decimal("7.72"),
            PaymentMethod.CHEQUE,
            on_date=date(2012, 3, 22),
            cheque_number="9038108",
            payer=dupont.guardians.first(),
        )
    _invoice(
        dupont,
        "2L2012/0156EN",
        date(2012, 4, 3),
        _lines(lea, ("Mercredi matin", (2012, 3, 14), None, "1", "3.59", garde))
        + _lines(hugo, ("Journée vacances", (2012, 3, 19), (2012, 3, 23), "5", "3.62", garde)),
    )
    _invoice(
        dupont,
        "2L2012/0268EN",
        date(2012, 4, 23),
        _lines(
            hugo,
            ("Journée vacances de Pâques", (2012, 4, 10), (2012, 4, 11), "2", "5.19", garde),
            ("Repas", (2012, 4, 10), (2012, 4, 11), "2", "2.00", repas),
        ),
    )

    bernard = Family.objects.get(structure=levignac, reference="BER001")
    nina = bernard.children.get(first_name="Nina")
    _invoice(
        bernard,
        "LV2026/0001",
        date(2026, 10, 5),
        _lines(
            nina,
            ("Mercredis de septembre (journée)", (2026, 9, 2), (2026, 9, 30), "4", "9.50", garde),
            ("Repas", (2026, 9, 2), (2026, 9, 30), "4", "3.20", repas),
        ),
    )
    if not Payment.objects.filter(family=bernard).exists():
        services.record_payment(
            bernard,
            Decimal("20.00"),
            PaymentMethod.CASH,
            on_date=date(2026, 10, 12),
            payer=bernard.guardians.first(),
        )
    load_direct_debit(bernard, nina)
    load_martin()
    load_certificates()


# --- Direct debit: BERNARD (Lévignac) pays by monthly debit ---------------------------------

DEMO_ICS = "FR72ZZZ123456"
DEMO_CREDITOR_IBAN = "FR7630004000031234567890143"
BERNARD_IBAN = "FR1420041010050500013M02606"


def load_direct_debit(bernard, nina):
    """Both demo structures offer direct debit (and reminders); BERNARD signed a mandate in
    October 2026 and was debited once, on 5 November 2026; October's invoice waits for the
    next debit. Idempotent: nothing is added once the November batch exists.
    """
    from .direct_debit import services as direct_debit
    from .models import DebitBatch, DirectDebitSettings, Mandate, ReminderSettings

    for structure in Structure.objects.filter(slug__in=["brax", "levignac"]):
        DirectDebitSettings.objects.get_or_create(
            structure=structure,
            defaults={
                "enabled": True,
                "creditor_identifier": DEMO_ICS,
                "creditor_iban": DEMO_CREDITOR_IBAN,
                "creditor_bic": "BNPAFRPPXXX",
                "debit_day": 5,
                "collection_months": "1,2,3,4,5,6,9,10,11,12",
                "reject_fee": Decimal("0.00"),
            },
        )
        ReminderSettings.objects.get_or_create(structure=structure, defaults={"enabled": True})
    levignac = bernard.structure
    if DebitBatch.objects.filter(structure=levignac, collection_date=date(2026, 11, 5)).exists():
        return
    mandate = Mandate.objects.filter(family=bernard).first() or (
        direct_debit.record_paper_mandate(
            bernard,
            holder_name="Paul BERNARD",
            iban=BERNARD_IBAN,
            signed_on=date(2026, 10, 15),
            by=None,
        )
    )
    batch = direct_debit.prepare_batch(
        levignac, date(2026, 11, 5), today=date(2026, 10, 20), notify=False
    )
    direct_debit.mark_batch_sent(batch, by=None)
    _invoice(
        bernard,
        "LV2026/0002",
        date(2026, 11, 2),
        _lines(
            nina,
            (
                "Mercredis d'octobre (journée)",
                (2026, 10, 7),
                (2026, 10, 21),
                "3",
                "9.50",
                Category.GARDE,
            ),
            ("Repas", (2026, 10, 7), (2026, 10, 21), "3", "3.20", Category.REPAS),
        ),
    )
    return mandate


# --- MARTIN (Brax): a 2025 history for the yearly certificates -----------------------------

MARTIN_LOGIN = "parent3.demo"
# Days of care per month of 2025: Léo (born 2020) and Chloé (born 2016, none in August).
LEO_DAYS = [4, 4, 3, 4, 3, 4, 10, 5, 3, 4, 4, 3]
CHLOE_DAYS = [4, 3, 4, 4, 3, 4, 8, 0, 4, 4, 3, 3]
LEO_DAY, CHLOE_DAY, MEAL = Decimal("12.50"), Decimal("14.00"), Decimal("3.60")


def _month_end(year, month):
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def load_martin():
    """The MARTIN family: monthly invoices of care and meals for 2025, paid the next month
    (March in CESU, December's in January 2026). Idempotent: numbers and references are fixed.
    """
    from parents.demo import PARENT_PASSWORD, _guardian, _user
    from parents.models import Child, Guardian

    brax = Structure.objects.get(slug="brax")
    martin, _created = Family.objects.update_or_create(
        structure=brax,
        reference="MAR001",
        defaults={
            "name": "MARTIN",
            "address_line1": "8 rue des Lilas",
            "postcode": "31490",
            "city": "Brax",
        },
    )
    user = _user(
        MARTIN_LOGIN,
        PARENT_PASSWORD,
        first_name="Sophie",
        last_name="MARTIN",
        email="parent3.demo@example.org",
    )
    sophie = _guardian(
        martin,
        user,
        civility=Guardian.Civility.MRS,
        first_name="Sophie",
        last_name="MARTIN",
        email="parent3.demo@example.org",
    )
    leo, _created = Child.objects.update_or_create(
        family=martin,
        first_name="Léo",
        defaults={"last_name": "MARTIN", "birth_date": date(2020, 5, 12)},
    )
    chloe, _created = Child.objects.update_or_create(
        family=martin,
        first_name="Chloé",
        defaults={"last_name": "MARTIN", "birth_date": date(2016, 9, 23)},
    )
    for month in range(1, 13):
        start, end = date(2025, month, 1), _month_end(2025, month)
        lines = []
        for child, days, price in ((leo, LEO_DAYS, LEO_DAY), (chloe, CHLOE_DAYS, CHLOE_DAY)):
            count = Decimal(days[month - 1])
            if not count:
                continue
            lines += [
                LineData(
                    "Accueil de loisirs (journées)",
                    start,
                    count,
                    price,
                    Category.GARDE,
                    child=child,
                    service_end=end,
                ),
                LineData("Repas", start, count, MEAL, Category.REPAS, child=child, service_end=end),
            ]
        invoice = _invoice(martin, f"2L2025/{month:04d}EN", end, lines)
        reference = f"DEMO-MAR-2025-{month:02d}"
        if Payment.objects.filter(structure=brax, external_reference=reference).exists():
            continue
        paid_on = date(2025 + month // 12, month % 12 + 1, 8 if month < 12 else 9)
        method, extra = PaymentMethod.TRANSFER, {}
        if month == 3:
            method, extra = PaymentMethod.CESU, {"reference": "CESU 2025-03-1187"}
        elif month % 2:
            method, extra = PaymentMethod.CHEQUE, {"cheque_number": f"77{month:02d}41"}
        services.record_payment(
            martin,
            invoice.total,
            method,
            on_date=paid_on,
            payer=sophie,
            external_reference=reference,
            **extra,
        )
    return martin


def _demo_signature():
    """A drawn signature for the demo structure, made once as a Wagtail image."""
    from io import BytesIO

    from django.core.files.images import ImageFile

    from wagtail.images.models import Image

    from PIL import Image as PILImage
    from PIL import ImageDraw

    title = "Signature (démo)"
    image = Image.objects.filter(title=title).first()
    if image is not None:
        return image
    canvas = PILImage.new("RGB", (360, 120), "white")
    pen = ImageDraw.Draw(canvas)
    pen.line(
        [(20, 80), (60, 30), (90, 85), (130, 35), (160, 80), (210, 40), (250, 75), (330, 55)],
        fill="#1a237e",
        width=4,
        joint="curve",
    )
    buffer = BytesIO()
    canvas.save(buffer, "PNG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name="signature-demo.png"))


def load_certificates():
    """Publish the yearly certificates of DUPONT (2012) and MARTIN (2025) as a director
    would: generate, then publish. Running it again changes nothing.
    """
    from django.utils import timezone

    from .certificates.services import issue_attestations, publish_attestations
    from .models import Certificate

    brax = Structure.objects.get(slug="brax")
    settings = {
        "declaration_reference": "0310123CL000125",
        "certificate_signatory_name": "Paul MARTEL",
        "certificate_signatory_role": "Directeur de l'accueil de loisirs",
        "certificate_place": "Brax",
    }
    changed = [name for name, value in settings.items() if not getattr(brax, name)]
    for name in changed:
        setattr(brax, name, settings[name])
    if brax.certificate_signature_id is None:
        brax.certificate_signature = _demo_signature()
        changed.append("certificate_signature")
    if changed:
        brax.save(update_fields=changed)
    demo_families = Family.objects.filter(structure=brax, reference__in=["DUP001", "MAR001"])
    for reference, year in (("DUP001", 2012), ("MAR001", 2025)):
        issue_attestations(year, families=demo_families.filter(reference=reference))
        publish_attestations(brax, year, notify=False)
    # The demo families are not emailed about certificates they have "always" had.
    Certificate.objects.filter(
        family__in=demo_families, notified_at__isnull=True, published_at__isnull=False
    ).update(notified_at=timezone.now())
