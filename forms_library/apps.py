from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormsLibraryConfig(AppConfig):
    name = "forms_library"
    verbose_name = _("printed forms library")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from wagtail.documents import get_document_model
        from wagtail.signals import post_page_move

        from . import signal_handlers
        from .models import CollectionPrivacy, FormsLibraryPage

        post_save.connect(signal_handlers.on_privacy_saved, sender=CollectionPrivacy)
        post_delete.connect(signal_handlers.on_privacy_deleted, sender=CollectionPrivacy)
        post_page_move.connect(signal_handlers.on_library_moved, sender=FormsLibraryPage)
        post_save.connect(signal_handlers.on_library_saved, sender=FormsLibraryPage)
        document_model = get_document_model()
        post_save.connect(signal_handlers.on_document_changed, sender=document_model)
        post_delete.connect(signal_handlers.on_document_changed, sender=document_model)
