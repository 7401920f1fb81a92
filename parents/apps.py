from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParentsConfig(AppConfig):
    name = "parents"
    verbose_name = _("families")

    def ready(self):
        from django.contrib.auth import user_logged_in
        from django.contrib.auth.models import Group, update_last_login
        from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

        from . import roles, signals
        from .models import Association, Family, Guardian, Structure, User

        # Our receiver keeps the previous login before updating last_login ("Infos Connexion").
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(signals.record_login, dispatch_uid="parents_record_login")
        # Per-structure staff groups follow User.structures and the role groups as they change.
        m2m_changed.connect(
            roles.on_structures_changed,
            sender=User.structures.through,
            dispatch_uid="parents_sync_structure_groups_structures",
        )
        m2m_changed.connect(
            roles.on_groups_changed,
            sender=User.groups.through,
            dispatch_uid="parents_sync_structure_groups_groups",
        )
        # Cached permission sets (parents.backends) are forgotten as soon as they change.
        for through, name in (
            (User.groups.through, "groups"),
            (User.user_permissions.through, "user_permissions"),
        ):
            m2m_changed.connect(
                signals.forget_user_permissions,
                sender=through,
                dispatch_uid=f"parents_forget_permissions_{name}",
            )
        m2m_changed.connect(
            signals.forget_group_permissions,
            sender=Group.permissions.through,
            dispatch_uid="parents_forget_permissions_group_permissions",
        )
        pre_delete.connect(
            signals.forget_deleted_group_permissions,
            sender=Group,
            dispatch_uid="parents_forget_permissions_group_deleted",
        )
        # The cached logged-in user (parents.backends) is forgotten as soon as it changes.
        for model in (User, Guardian, Family, Structure, Association):
            for signal in (post_save, post_delete):
                signal.connect(
                    signals.forget_cached_users,
                    sender=model,
                    dispatch_uid=f"parents_forget_user_{signal is post_save}_{model.__name__}",
                )
