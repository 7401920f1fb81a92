from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = _("bookings")

    def ready(self):
        from family_file.retention import register_activity_source
        from parents.roles import DIRECTION_GROUP, register_role_permissions

        from .services import last_attendance
        from .viewsets import reservations_permissions

        register_role_permissions(DIRECTION_GROUP, reservations_permissions())
        # The family file's retention counts a family active while it attends.
        register_activity_source(last_attendance)
