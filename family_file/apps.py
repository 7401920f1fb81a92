from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamilyFileConfig(AppConfig):
    name = "family_file"
    verbose_name = _("family file")

    def ready(self):
        from parents.data_export import register_contributor
        from parents.roles import DIRECTION_GROUP, register_role_permissions

        from .exports import family_file_export
        from .roles import family_file_permissions

        register_role_permissions(DIRECTION_GROUP, family_file_permissions())
        register_contributor("family_file", family_file_export)
