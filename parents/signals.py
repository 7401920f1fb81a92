from django.conf import settings
from django.utils import timezone


def record_login(sender, request, user, **kwargs):
    """Keep the date of the previous login before recording this one ("Infos Connexion")."""
    user.previous_login = user.last_login
    user.last_login = timezone.now()
    user.save(update_fields=["previous_login", "last_login"])
    if request is not None and hasattr(request, "session"):
        request.session["login_at"] = int(user.last_login.timestamp())


def forget_user_permissions(sender, instance, action, reverse, pk_set, **kwargs):
    """A user's groups or own permissions changed: their cached set goes (both directions of
    the relation: `user.groups.add(group)` and `group.user_set.add(user)`)."""
    from django.contrib.auth.models import Group

    from .backends import forget_permissions

    if not action.startswith("post_") and action != "pre_clear":
        return
    if isinstance(instance, Group):
        # group.user_set.add(...): the users are in pk_set (all of them when cleared).
        user_ids = pk_set if pk_set else instance.user_set.values_list("pk", flat=True)
    elif reverse:  # permission.user_set.add(...)
        user_ids = pk_set or instance.user_set.values_list("pk", flat=True)
    else:
        user_ids = [instance.pk]
    forget_permissions(list(user_ids))


def forget_group_permissions(sender, instance, action, reverse, pk_set, **kwargs):
    """A group's permissions changed: every member's cached set goes."""
    from django.contrib.auth.models import Group

    from .backends import forget_permissions
    from .models import User

    if not action.startswith("post_") and action != "pre_clear":
        return
    group_ids = pk_set if reverse else [instance.pk]
    if reverse and not pk_set:  # permission.group_set.clear()
        group_ids = Group.objects.filter(permissions=instance).values_list("pk", flat=True)
    members = User.objects.filter(groups__in=list(group_ids)).values_list("pk", flat=True)
    forget_permissions(list(members))


def forget_deleted_group_permissions(sender, instance, **kwargs):
    from .backends import forget_permissions

    forget_permissions(list(instance.user_set.values_list("pk", flat=True)))


def forget_cached_users(sender, instance, **kwargs):
    """The cached logged-in user (`parents.backends.get_user`) holds their guardian, family,
    structure and association: any of them saved or deleted drops the rows that hold it."""
    from .backends import forget_users
    from .models import Association, Family, Guardian, Structure, User

    if not settings.CACHE_IS_SHARED:
        return
    if isinstance(instance, User):
        user_ids = [instance.pk]
    elif isinstance(instance, Guardian):
        user_ids = [instance.user_id]
    else:
        guardians = Guardian.objects.filter(user__isnull=False)
        if isinstance(instance, Family):
            guardians = guardians.filter(family=instance)
        elif isinstance(instance, Structure):
            guardians = guardians.filter(family__structure=instance)
        elif isinstance(instance, Association):
            guardians = guardians.filter(family__structure__association=instance)
        user_ids = guardians.values_list("user_id", flat=True)
    forget_users(list(user_ids))
