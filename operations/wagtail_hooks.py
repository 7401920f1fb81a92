from django.urls import path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .admin_views import RoutineTasksView, may_see_routine_tasks


class RoutineTasksMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_routine_tasks(request.user)


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("routine-tasks/", RoutineTasksView.as_view(), name="operations_routine_tasks")]


@hooks.register("register_reports_menu_item")
def register_routine_tasks_menu_item():
    from django.utils.translation import gettext_lazy as _

    return RoutineTasksMenuItem(
        _("Routine tasks"), reverse("operations_routine_tasks"), icon_name="time", order=900
    )
