from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The base layer every app may use: PDF rendering, private storage, money formatting,
    the immutable-model base and shared admin mixins. It imports no app of the project.
    """

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from .spreadsheets import use_french_csv_dialect

        use_french_csv_dialect()
