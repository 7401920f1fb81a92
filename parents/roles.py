"""Staff roles as Django groups, created idempotently (demo data and `manage.py setup_roles`).

The Direction group manages the structures it is attached to and their families; which
structures those are is decided per user (`User.structures`), never by the group. Neither
group gets any permission on users, groups or settings: those stay with superusers.
"""

from django.contrib.auth.models import Group, Permission

DIRECTION_GROUP = "Direction"
COMMUNICATION_GROUP = "Communication"

DIRECTION_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("parents", "view_structure"),
    ("parents", "change_structure"),
    ("parents", "view_family"),
    ("parents", "add_family"),
    ("parents", "change_family"),
    ("parents", "view_guardian"),
    ("parents", "add_guardian"),
    ("parents", "change_guardian"),
    ("parents", "view_child"),
    ("parents", "add_child"),
    ("parents", "change_child"),
]

COMMUNICATION_PERMISSIONS = [("wagtailadmin", "access_admin")]

# The app whose permissions this module owns outright: any permission of it that a role does
# not list is withdrawn, so that removing a line above takes effect on the next run.
OWNED_APP_LABEL = "parents"


def _permissions(pairs):
    return [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in pairs
    ]


def _apply(group, pairs):
    wanted = _permissions(pairs)
    group.permissions.add(*wanted)
    stale = group.permissions.filter(content_type__app_label=OWNED_APP_LABEL).exclude(
        pk__in=[permission.pk for permission in wanted]
    )
    group.permissions.remove(*stale)


def setup_roles():
    """Create or update the staff groups; running it again changes nothing."""
    direction, _ = Group.objects.get_or_create(name=DIRECTION_GROUP)
    _apply(direction, DIRECTION_PERMISSIONS)
    communication, _ = Group.objects.get_or_create(name=COMMUNICATION_GROUP)
    _apply(communication, COMMUNICATION_PERMISSIONS)
    return direction, communication
