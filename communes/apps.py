from django.apps import AppConfig


class CommunesConfig(AppConfig):
    name = "communes"
    verbose_name = "Territoire et collectivités"
