"""Deployment checks (`manage.py check --deploy`) for the settings Django does not know."""

import ipaddress

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


NO_SECRET_KEY = (
    "SECRET_KEY n'est pas définie : la clé par défaut est publique (n'importe qui pourrait "
    "forger une session). Définissez une clé longue et aléatoire (voir .env.example)."
)


def refuse_default_secret_key():
    """Called by wsgi.py and asgi.py: the web server does not start on the public key."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEFAULT_SECRET_KEY:
        raise ImproperlyConfigured(f"{NO_SECRET_KEY} (DEBUG=1 en développement.)")


@register(Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs):
    if settings.SECRET_KEY != settings.DEFAULT_SECRET_KEY:
        return []
    return [Error(NO_SECRET_KEY, id="entconv.E005")]


@register(Tags.security, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    # Rate limits and the admin lock-out count in the default cache: per process, each of
    # gunicorn's workers would grant its own quota (77 portal requests instead of 30 with 3).
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        Error(
            f"Le cache par défaut ({backend}) n'est pas partagé entre les processus : chaque "
            "worker de gunicorn compterait à part les limites de requêtes et les échecs de "
            "connexion.",
            hint="Lancez `manage.py createcachetable` puis définissez "
            "CACHE_URL=dbcache://entconv_cache.",
            id="entconv.E001",
        )
    ]


@register(Tags.security, deploy=True)
def check_client_ip_header(app_configs, **kwargs):
    if not settings.CLIENT_IP_HEADER or settings.TRUSTED_PROXIES:
        return []
    return [
        Error(
            f"CLIENT_IP_HEADER ({settings.CLIENT_IP_HEADER}) est lu sans TRUSTED_PROXIES : "
            "quiconque joint gunicorn directement choisirait l'adresse comptée par les limites "
            "de requêtes et le blocage des connexions.",
            hint="Définissez TRUSTED_PROXIES avec l'adresse du serveur frontal "
            "(ex. 127.0.0.1), ou laissez CLIENT_IP_HEADER vide sans serveur frontal.",
            id="entconv.E002",
        )
    ]


@register(Tags.security)
def check_trusted_proxies(app_configs, **kwargs):
    errors = []
    for entry in settings.TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"TRUSTED_PROXIES : « {entry} » n'est ni une adresse IP ni un réseau.",
                    hint="Exemples : 127.0.0.1, 10.0.0.0/8, ::1.",
                    id="entconv.E003",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_request_body_limit(app_configs, **kwargs):
    if 0 < settings.MAX_REQUEST_BODY <= settings.MAX_STAFF_REQUEST_BODY:
        return []
    return [
        Error(
            "MAX_REQUEST_BODY doit être positif et au plus égal à MAX_STAFF_REQUEST_BODY "
            f"({settings.MAX_REQUEST_BODY} et {settings.MAX_STAFF_REQUEST_BODY} octets).",
            id="entconv.E004",
        )
    ]


@register(Tags.security, deploy=True)
def check_second_factor_required(app_configs, **kwargs):
    if settings.DEBUG or settings.OTP_REQUIRED:
        return []
    return [
        Error(
            "OTP_REQUIRED=0 : un mot de passe volé suffirait à ouvrir l'administration.",
            hint="Retirez OTP_REQUIRED de l'environnement (obligatoire par défaut quand "
            "DEBUG=0) ou mettez OTP_REQUIRED=1.",
            id="entconv.E006",
        )
    ]
