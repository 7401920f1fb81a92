"""The "Tâches de routine" report: each routine task's last run and its result."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from .models import TaskRun
from .schedule import routine_tasks


def may_see_routine_tasks(user):
    return user.is_superuser or user.has_perm("operations.view_taskrun")


class RoutineTasksView(TemplateView):
    template_name = "operations/routine_tasks.html"
    page_title = _("Routine tasks")

    def dispatch(self, request, *args, **kwargs):
        if not may_see_routine_tasks(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        tasks = routine_tasks()
        last = {}
        for run in TaskRun.objects.filter(task__in=[t.name for t in tasks]).order_by("-slot"):
            last.setdefault(run.task, run)
        rows = [{"task": task, "run": last.get(task.name)} for task in tasks]
        return super().get_context_data(rows=rows, page_title=self.page_title, **kwargs)
