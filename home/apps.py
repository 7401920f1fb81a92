from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = _("site pages")

    def ready(self):
        from django.db.models.signals import post_save

        from wagtail.signals import page_published, page_unpublished

        from . import signal_handlers
        from .models import StructureHomePage

        post_save.connect(
            signal_handlers.on_structure_home_page_saved,
            sender=StructureHomePage,
            dispatch_uid="home_structure_page_permissions",
        )
        page_published.connect(
            signal_handlers.purge_api_after_publishing, dispatch_uid="home_purge_api_published"
        )
        page_unpublished.connect(
            signal_handlers.purge_api_after_publishing, dispatch_uid="home_purge_api_unpublished"
        )
