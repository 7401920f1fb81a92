from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction


class UsernameOrEmailBackend(ModelBackend):
    """Log in with the identifiant sent by the centre, or with the email address.

    An address shared by several logins (two guardians with one mailbox) is ambiguous, so
    only the identifiant works for them.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        UserModel = get_user_model()
        username = username.strip()
        user = UserModel._default_manager.filter(username__iexact=username).first()
        if user is None and "@" in username:
            matches = list(UserModel._default_manager.filter(email__iexact=username)[:2])
            if len(matches) == 1:
                user = matches[0]
        if user is None:
            # Same cost as a real check, so timing does not reveal which identifiants exist.
            UserModel().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The logged-in user with their guardian, family and structure in the same query:
        every family page needs them, and the middleware asks for the user on each request.

        With a shared cache the row and its permission set come from it in one round trip
        (`parents.signals.forget_cached_users` drops the row as soon as the user, their
        guardian, family, structure or association is saved or deleted).
        """
        if not settings.CACHE_IS_SHARED:
            return self._usable(self._load_user(user_id))
        keys = [user_cache_key(user_id), *permission_cache_keys([user_id])]
        found = cache.get_many(keys)
        user = found.get(keys[0])
        if user is None:
            user = self._load_user(user_id)
            if user is None:
                return None
            cache.set(keys[0], user, USER_CACHE_SECONDS)
        permissions = found.get(permission_cache_key(user))
        if permissions is not None and user.is_active:
            user._perm_cache = permissions
        return self._usable(user)

    @staticmethod
    def _load_user(user_id):
        UserModel = get_user_model()
        return (
            UserModel._default_manager.select_related("guardian__family__structure__association")
            .filter(pk=user_id)
            .first()
        )

    def _usable(self, user):
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        """The user's permissions, kept in the shared cache between requests (two queries
        each time otherwise, for every page). Only a cache that every process shares may keep
        them: parents.signals forgets a user's set as soon as their groups or permissions
        change, and a process-local cache elsewhere would go on granting what was withdrawn.
        """
        if (
            settings.CACHE_IS_SHARED
            and obj is None
            and user_obj.is_active
            and not user_obj.is_anonymous
            and not hasattr(user_obj, "_perm_cache")
        ):
            key = permission_cache_key(user_obj)
            permissions = cache.get(key)
            if permissions is None:
                permissions = super().get_all_permissions(user_obj)
                cache.set(key, permissions, PERMISSION_CACHE_SECONDS)
            user_obj._perm_cache = permissions
        return super().get_all_permissions(user_obj, obj)


# Signals forget a set when it changes; the limit only bounds changes made behind Django's back.
PERMISSION_CACHE_SECONDS = 300


# Signals forget a row when it changes; the limit bounds changes made behind Django's back
# (a queryset update(), the database shell).
USER_CACHE_SECONDS = 300


def permission_cache_key(user):
    # The flags are in the key: saving the user with other flags is then a change of key.
    return f"permissions:{user.pk}:{int(user.is_superuser)}"


def permission_cache_keys(user_ids):
    return [f"permissions:{pk}:{flag}" for pk in user_ids for flag in (0, 1)]


def user_cache_key(user_id):
    return f"user:{user_id}"


def forget_permissions(user_ids):
    """Drop the cached permission sets of these users (both superuser variants)."""
    cache.delete_many(permission_cache_keys(user_ids))


def forget_users(user_ids):
    """Drop the cached rows of these users, now and once the transaction commits (a request
    reading the old row in between would otherwise put it back)."""
    keys = [user_cache_key(pk) for pk in user_ids if pk is not None]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))
