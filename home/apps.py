from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = _("site pages")

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from wagtail.signals import page_published, page_unpublished

        from . import public_cache, signal_handlers
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
        # The server's copies of public pages go whenever content changes (any sender: the
        # receiver looks at the model's app).
        for name, signal in (("save", post_save), ("delete", post_delete), ("m2m", m2m_changed)):
            signal.connect(public_cache.on_content_changed, dispatch_uid=f"home_purge_{name}")
