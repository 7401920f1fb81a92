from django.utils.translation import gettext_lazy as _

from wagtail import hooks

from .choosers import family_chooser_viewset
from .log_scopes import LOG_SCOPES_HOOK
from .models import Child, Family, Guardian, Structure
from .services import EMAIL_CHANGE_ACTION, INVITE_ACTION
from .viewsets import FamiliesViewSetGroup


@hooks.register("register_admin_viewset")
def register_families_viewsets():
    return FamiliesViewSetGroup()


@hooks.register("register_admin_viewset")
def register_family_chooser():
    return family_chooser_viewset


@hooks.register("register_log_actions")
def register_account_log_actions(actions):
    actions.register_action(INVITE_ACTION, _("Send login details"), _("Login details sent"))
    actions.register_action(
        EMAIL_CHANGE_ACTION, _("Change login email"), _("Login email address changed")
    )


@hooks.register(LOG_SCOPES_HOOK)
def register_families_log_scopes():
    return {
        Structure: Structure.objects.for_staff,
        Family: Family.objects.for_staff,
        Guardian: lambda user: Guardian.objects.filter(family__in=Family.objects.for_staff(user)),
        Child: lambda user: Child.objects.filter(family__in=Family.objects.for_staff(user)),
    }


@hooks.register("construct_reports_menu")
def hide_unscoped_reports(request, menu_items):
    # "Page types usage" names the last edited page of each type across all structures.
    if not request.user.is_superuser:
        menu_items[:] = [item for item in menu_items if item.name != "page-types-usage"]
