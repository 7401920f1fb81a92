"""Staff roles as Django groups, created idempotently (demo data and `manage.py setup_roles`)."""

from django.contrib.auth.models import Group, Permission

DIRECTION_GROUP = "Direction"
COMMUNICATION_GROUP = "Communication"

DIRECTION_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("parents", "view_structure"),
    ("parents", "change_structure"),
    ("parents", "add_family"),
    ("parents", "change_family"),
    ("parents", "view_family"),
    ("parents", "add_guardian"),
    ("parents", "change_guardian"),
    ("parents", "view_guardian"),
    ("parents", "delete_guardian"),
    ("parents", "add_child"),
    ("parents", "change_child"),
    ("parents", "view_child"),
    ("parents", "delete_child"),
]

COMMUNICATION_PERMISSIONS = [("wagtailadmin", "access_admin")]


def _grant(group, permissions):
    for app_label, codename in permissions:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def setup_roles():
    direction, _ = Group.objects.get_or_create(name=DIRECTION_GROUP)
    _grant(direction, DIRECTION_PERMISSIONS)
    communication, _ = Group.objects.get_or_create(name=COMMUNICATION_GROUP)
    _grant(communication, COMMUNICATION_PERMISSIONS)
    return direction, communication
