from django.apps import apps
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks

from parents.family_links import FAMILY_ADMIN_LINKS_HOOK

from .admin_views import ADD_PERMISSION
from .viewsets import ReservationsViewSetGroup


@hooks.register("register_admin_viewset")
def register_reservations_viewsets():
    return ReservationsViewSetGroup()


@hooks.register("register_log_actions")
def register_reservations_log_actions(actions):
    actions.register_action(
        "reservations.book_on_behalf", _("Book on behalf of a family"), _("Booked by the centre")
    )
    actions.register_action(
        "reservations.cancel_on_behalf",
        _("Cancel on behalf of a family"),
        _("Cancelled by the centre"),
    )
    actions.register_action(
        "reservations.accept_absence", _("Accept an absence"), _("Absence accepted")
    )
    actions.register_action(
        "reservations.refuse_absence", _("Refuse an absence"), _("Absence refused")
    )
    actions.register_action(
        "reservations.invoice_month", _("Invoice the month"), _("Month invoiced from bookings")
    )


@hooks.register("register_permissions")
def register_reservations_permissions():
    # Bookings and absences have no model viewset, but the group editor must offer them.
    return Permission.objects.filter(
        content_type__app_label="reservations",
        codename__in=[
            "view_booking",
            "add_booking",
            "change_booking",
            "change_absencejustification",
        ],
    )


@hooks.register("register_log_scopes")
def register_reservations_log_scopes():
    """Audit entries about bookings, absences, slots, periods… follow each model's staff scope."""
    return {
        model: model.objects.for_staff
        for model in apps.get_app_config("reservations").get_models()
        if hasattr(model.objects, "for_staff")
    }


@hooks.register(FAMILY_ADMIN_LINKS_HOOK, order=20)
def family_bookings_link(user, family):
    if user.has_perm(ADD_PERMISSION):
        return (_("Bookings"), reverse("reservation_on_behalf:family", args=[family.pk]))
    return None


@hooks.register("construct_homepage_panels")
def add_bookings_home_panels(request, panels):
    from .dashboard import absences_panel, waiting_lists_panel

    for panel in (absences_panel(request.user), waiting_lists_panel(request.user)):
        if panel is not None:
            panels.append(panel)
