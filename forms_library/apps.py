from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormsLibraryConfig(AppConfig):
    name = "forms_library"
    verbose_name = _("printed forms library")
