"""django-otp's device apps, named in French in the admin and in the permission lists."""

from django_otp.plugins.otp_static.apps import DefaultConfig as StaticDefaultConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPDefaultConfig

# The admin's names only: migrations read the names given in the models, which stay as shipped.
DEVICE_FIELD_LABELS = {
    "user": "utilisateur",
    "name": "nom",
    "confirmed": "activée",
    "created_at": "créée le",
    "last_used_at": "dernière utilisation",
}


def rename(model, singular, plural):
    opts = model._meta
    opts.verbose_name = singular
    opts.verbose_name_plural = plural
    for name, label in DEVICE_FIELD_LABELS.items():
        opts.get_field(name).verbose_name = label


class TOTPConfig(TOTPDefaultConfig):
    verbose_name = "Double authentification"

    def ready(self):
        rename(
            self.get_model("TOTPDevice"),
            "application d'authentification",
            "applications d'authentification",
        )


class StaticConfig(StaticDefaultConfig):
    verbose_name = "Codes de secours"

    def ready(self):
        rename(
            self.get_model("StaticDevice"), "jeu de codes de secours", "jeux de codes de secours"
        )
        model = self.get_model("StaticToken")
        model._meta.verbose_name = "code de secours"
        model._meta.verbose_name_plural = "codes de secours"
