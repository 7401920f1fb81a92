"""Staff roles as Django groups, created idempotently (demo data and `manage.py setup_roles`).

The Direction group manages the structures it is attached to and their families; which
structures those are is decided per user (`User.structures`), never by the group. Neither
group gets any permission on users, groups or settings: those stay with superusers.

Wagtail grants page and collection permissions to groups only, so each role also has one
group per structure ("Communication · brax"): the content apps attach the structure's pages
and collections to it, and membership follows `User.structures` (see sync_structure_groups).
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from .models import User

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

# Roles whose Wagtail page and collection permissions are given structure by structure.
STRUCTURE_ROLES = (DIRECTION_GROUP, COMMUNICATION_GROUP)
STRUCTURE_GROUP_SEPARATOR = " · "

# The app whose permissions this module owns outright: any permission of it that a role does
# not list is withdrawn, so that removing a line above takes effect on the next run.
OWNED_APP_LABEL = "parents"


# Apps that depend on parents add what their admin needs to a role from their AppConfig.ready
# (parents never imports them): {group name: [(app_label, codename), ...]}.
_app_permissions = {DIRECTION_GROUP: [], COMMUNICATION_GROUP: []}


def register_role_permissions(role, pairs):
    """Let an app grant its own permissions to a role; applied by setup_roles()."""
    for pair in pairs:
        if pair not in _app_permissions[role]:
            _app_permissions[role].append(pair)


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
    _apply(direction, DIRECTION_PERMISSIONS + _app_permissions[DIRECTION_GROUP])
    communication, _ = Group.objects.get_or_create(name=COMMUNICATION_GROUP)
    _apply(communication, COMMUNICATION_PERMISSIONS + _app_permissions[COMMUNICATION_GROUP])
    for user in _users_in_structure_groups(include_roles=True):
        sync_structure_groups(user)
    return direction, communication


def structure_group_name(role, structure):
    # The slug, not the name: a renamed commune keeps its group and its permissions.
    return f"{role}{STRUCTURE_GROUP_SEPARATOR}{structure.slug}"


def in_structure_groups(lookup="group__name"):
    """A condition on `lookup` (a group name) matching the per-structure groups of any role."""
    condition = Q()
    for role in STRUCTURE_ROLES:
        condition |= Q(**{f"{lookup}__startswith": f"{role}{STRUCTURE_GROUP_SEPARATOR}"})
    return condition


def structure_group(role, structure):
    """The group holding `role`'s page and collection permissions on `structure`."""
    if role not in STRUCTURE_ROLES:
        raise ValueError(f"{role!r} is not a role given per structure.")
    group, _ = Group.objects.get_or_create(name=structure_group_name(role, structure))
    return group


def sync_structure_groups(user):
    """Put `user` in exactly the per-structure groups of their roles and structures.

    Idempotent. A user who leaves a role or a structure leaves the matching group at once, so
    no page or document permission outlives the attachment that justified it.
    """
    roles = set(user.groups.filter(name__in=STRUCTURE_ROLES).values_list("name", flat=True))
    wanted = {
        structure_group(role, structure).pk for role in roles for structure in user.structures.all()
    }
    prefixes = [f"{role}{STRUCTURE_GROUP_SEPARATOR}" for role in STRUCTURE_ROLES]
    current = {
        group.pk
        for group in user.groups.all()
        if any(group.name.startswith(prefix) for prefix in prefixes)
    }
    if wanted - current:
        user.groups.add(*(wanted - current))
    if current - wanted:
        user.groups.remove(*(current - wanted))


def on_structures_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """m2m_changed receiver for `User.structures`, from either side of the relation."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        sync_structure_groups(instance)
        return
    users = (
        _users_in_structure_groups()
        if action == "post_clear"
        else User.objects.filter(pk__in=pk_set or ())
    )
    for user in users:
        sync_structure_groups(user)


def on_groups_changed(sender, instance, action, reverse, pk_set, model, **kwargs):
    """m2m_changed receiver for `User.groups`: joining or leaving a role moves the user."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if reverse:
        if instance.name in STRUCTURE_ROLES:
            users = (
                _users_in_structure_groups()
                if action == "post_clear"
                else User.objects.filter(pk__in=pk_set or ())
            )
            for user in users:
                sync_structure_groups(user)
        return
    # Changes made by the sync itself touch per-structure groups only: nothing to do then.
    role_changed = (
        action == "post_clear"
        or Group.objects.filter(pk__in=pk_set or (), name__in=STRUCTURE_ROLES).exists()
    )
    if role_changed and isinstance(instance, User):
        sync_structure_groups(instance)


def _users_in_structure_groups(include_roles=False):
    prefixes = Q(groups__name__in=STRUCTURE_ROLES) if include_roles else Q()
    for role in STRUCTURE_ROLES:
        prefixes |= Q(groups__name__startswith=f"{role}{STRUCTURE_GROUP_SEPARATOR}")
    return User.objects.filter(prefixes).distinct()
