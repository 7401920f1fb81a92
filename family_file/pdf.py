"""Health sheets as PDF/UA-1: one child's sheet, or every sheet of a day or an outing.

Never stored: a health sheet changes and is kept for the season only, so it is rendered
when asked, after the access check, and each staff request is logged by the caller.
Rendered by the base layer's `core.pdf` (tagged PDF/UA-1, in French, local files only).
"""

from django.utils import timezone

from core.pdf import render_pdf

from . import health, services
from .models import AuthorisedPerson


def sheet_context(child):
    """Everything one child's sheet prints: identity, guardians, health, contacts."""
    family = child.family
    sheet = services.health_sheet(child)
    guardians = [
        (guardian, services.guardian_details(guardian))
        for guardian in family.guardians.order_by("pk")
    ]
    people = [
        person
        for person in AuthorisedPerson.objects.for_family(family).prefetch_related("children")
        if not person.children.all() or child in person.children.all()
    ]
    return {
        "child": child,
        "family": family,
        "details": services.child_details(child),
        "sheet": sheet,
        "groups": health.grouped(sheet.data),
        "markers": health.markers(sheet.data),
        "guardians": guardians,
        "people": people,
    }


def health_sheets_pdf(children, *, title, structure):
    """One PDF with a sheet per child (a page break between children)."""
    return render_pdf(
        "family_file/pdf/health_sheets.html",
        {
            "title": title,
            "structure": structure,
            "sheets": [sheet_context(child) for child in children],
            "printed_at": timezone.localtime(),
        },
    )
