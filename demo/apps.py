from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for `make run` and acceptance checks; it depends on every other app."""

    name = "demo"
    verbose_name = _("demo data")
