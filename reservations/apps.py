from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = _("bookings")

    def ready(self):
        from parents.roles import DIRECTION_GROUP, register_role_permissions

        from .viewsets import reservations_permissions

        register_role_permissions(DIRECTION_GROUP, reservations_permissions())
