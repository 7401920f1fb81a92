from django.utils.translation import gettext_lazy as _

from wagtail import hooks

from .choosers import family_chooser_viewset
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
