from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The base layer every app may use: PDF rendering, private storage, money formatting,
    the immutable-model base and shared admin mixins. It imports no app of the project.
    """

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from django.db.backends.signals import connection_created

        from . import page_cache
        from .spreadsheets import use_french_csv_dialect

        use_french_csv_dialect()
        # Every statement passes through the page cache's wrapper (see core.page_cache).
        connection_created.connect(page_cache.install, dispatch_uid="page_cache_install")
        page_cache.install_on_open_connections()
