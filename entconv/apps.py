from django.apps import AppConfig


class EntconvConfig(AppConfig):
    name = "entconv"
    verbose_name = "entconv"

    def ready(self):
        from entconv import checks  # noqa: F401 (registers the deployment checks)
