"""/sante/: what a load balancer asks before sending requests to this server."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from conventions.private_storage import reachable
from conventions.stored_documents import storage

logger = logging.getLogger(__name__)


def database_answers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def cache_answers():
    cache.set("sante", "ok", 10)
    return cache.get("sante") == "ok"


CHECKS = {
    "base de données": database_answers,
    "stockage des fichiers": lambda: reachable(storage()),
    "cache": cache_answers,
}


@never_cache
@require_safe
def health(request):
    failed = []
    for name, check in CHECKS.items():
        try:
            answers = check()
        except Exception:
            logger.exception("/sante/ : %s injoignable", name)
            answers = False
        if not answers:
            failed.append(name)
    if failed:
        # The names go to the server's log only: the page tells nobody what is down.
        logger.error("/sante/ : indisponible (%s)", ", ".join(failed))
        return HttpResponse("indisponible\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
