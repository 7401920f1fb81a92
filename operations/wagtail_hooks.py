from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

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
    return RoutineTasksMenuItem(
        _("Routine tasks"), reverse("operations_routine_tasks"), icon_name="time", order=900
    )


@hooks.register("register_permissions")
def register_routine_task_permissions():
    """So that a group can be given the report ("Can view routine task run") in the admin."""
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="operations", codename="view_taskrun")
