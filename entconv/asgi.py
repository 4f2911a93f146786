import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entconv.settings")
application = get_asgi_application()

from entconv.checks import refuse_default_secret_key  # noqa: E402 (needs Django set up)

refuse_default_secret_key()
