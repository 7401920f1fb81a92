from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamilyFileConfig(AppConfig):
    name = "family_file"
    verbose_name = _("family file")

    def ready(self):
        from core.structure_cache import keep_per_structure
        from parents.addresses import register_guardian_address_provider
        from parents.data_export import register_contributor
        from parents.roles import DIRECTION_GROUP, register_role_permissions

        from . import signals  # noqa: F401 - connects the receivers
        from .exports import family_file_export
        from .models import FamilyFileSettings
        from .roles import family_file_permissions
        from .services import guardians_own_addresses

        register_role_permissions(DIRECTION_GROUP, family_file_permissions())
        register_contributor("family_file", family_file_export)
        register_guardian_address_provider(guardians_own_addresses)
        keep_per_structure(FamilyFileSettings)
