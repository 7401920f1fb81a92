"""The family area's left menu, in the manual's order and with its labels."""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    children: tuple = field(default_factory=tuple)

    @property
    def url(self):
        return reverse(self.url_name)


FAMILY_MENU = (
    MenuItem(_("Connection info"), "parents:home"),
    MenuItem(_("Printed forms"), "forms_library:family-forms"),
    MenuItem(
        _("Parent account"),
        "billing:account",
        children=(
            MenuItem(_("Account management"), "billing:account"),
            MenuItem(_("Certificate list"), "billing:certificates"),
        ),
    ),
    # Owned by the family_file app; parents names its URLs only, never imports it.
    MenuItem(
        _("Family file"),
        "family_file:home",
        children=(
            MenuItem(_("Overview"), "family_file:home"),
            MenuItem(_("Legal guardians"), "family_file:guardians"),
            MenuItem(_("Children"), "family_file:children"),
            MenuItem(_("Health sheet"), "family_file:health-index"),
            MenuItem(_("Authorised people"), "family_file:people"),
            MenuItem(_("Supporting documents"), "family_file:documents"),
            MenuItem(_("House rules"), "family_file:rules"),
        ),
    ),
    MenuItem(_("User space"), "parents:user-space"),
    MenuItem(_("Bookings"), "reservations:bookings"),
)


def build_menu(current_url_name):
    """The menu as plain dicts for the template, marking the current page for aria-current."""
    items = []
    for item in FAMILY_MENU:
        children = [
            {"label": child.label, "url": child.url, "current": child.url_name == current_url_name}
            for child in item.children
        ]
        items.append(
            {
                "label": item.label,
                "url": item.url,
                "current": not children and item.url_name == current_url_name,
                "open": any(child["current"] for child in children),
                "children": children,
            }
        )
    return items
