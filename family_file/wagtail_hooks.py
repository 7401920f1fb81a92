from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks

from parents.family_links import FAMILY_ADMIN_LINKS_HOOK

from .admin_views import FILES_PERMISSION
from .viewsets import FamilyFileViewSetGroup


@hooks.register("register_admin_viewset")
def register_family_file_viewsets():
    return FamilyFileViewSetGroup()


@hooks.register("register_log_actions")
def register_family_file_log_actions(actions):
    for action, label, message in [
        ("update_guardian", _("Update a guardian's details"), _("Guardian's details updated")),
        ("update_child", _("Update a child's details"), _("Child's details updated")),
        ("submit_health_sheet", _("Send a health sheet"), _("Health sheet sent")),
        ("accept_change", _("Accept a change"), _("Change accepted")),
        ("refuse_change", _("Refuse a change"), _("Change refused")),
        ("add_person", _("Add an authorised person"), _("Authorised person added")),
        ("change_person", _("Change an authorised person"), _("Authorised person changed")),
        ("delete_person", _("Remove an authorised person"), _("Authorised person removed")),
        ("upload_document", _("Send a document"), _("Document sent")),
        ("accept_document", _("Accept a document"), _("Document accepted")),
        ("refuse_document", _("Refuse a document"), _("Document refused")),
        ("record_quotient", _("Record a quotient familial"), _("Quotient familial recorded")),
        ("accept_rules", _("Accept the rules"), _("Rules accepted")),
        ("purge", _("Purge expired data"), _("Expired data purged")),
    ]:
        actions.register_action(f"family_file.{action}", label, message)


@hooks.register("register_permissions")
def register_family_file_permissions():
    # The queues and health sheets have no model viewset; the group editor must offer them.
    return Permission.objects.filter(
        content_type__app_label="family_file",
        codename__in=[
            "view_healthsheet",
            "change_pendingchange",
            "change_supportingdocument",
        ],
    )


@hooks.register(FAMILY_ADMIN_LINKS_HOOK, order=30)
def family_file_link(user, family):
    if user.has_perm(FILES_PERMISSION):
        return (_("Family file"), reverse("family_files:family", args=[family.pk]))
    return None


@hooks.register("construct_homepage_panels")
def add_family_file_home_panel(request, panels):
    from .dashboard import documents_panel

    panel = documents_panel(request.user)
    if panel is not None:
        panels.append(panel)
