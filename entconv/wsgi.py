import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entconv.settings")
application = get_wsgi_application()

from entconv.checks import refuse_default_secret_key  # noqa: E402 (needs Django set up)

refuse_default_secret_key()
