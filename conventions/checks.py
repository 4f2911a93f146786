from django.conf import settings
from django.core import checks


def staff_notification_emails(app_configs, **kwargs):
    # Without an address the mairie's signed copy arrives unnoticed: staff only learn of it
    # by browsing the admin.
    if settings.STAFF_NOTIFICATION_EMAILS:
        return []
    return [
        checks.Warning(
            "STAFF_NOTIFICATION_EMAILS est vide : personne n'est averti quand une mairie "
            "dépose sa convention signée.",
            hint=(
                "Indiquez une ou plusieurs adresses du service ENT-École, séparées par des "
                "virgules (voir .env.example)."
            ),
            id="conventions.W001",
        )
    ]
