"""Rate limits kept in Django's cache: no extra service.

With the default local-memory cache each worker process counts on its own; point CACHE_URL
at a shared cache (the database cache, for example) for one count across workers.
"""

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse


def client_ip(request):
    # Behind a reverse proxy REMOTE_ADDR is the proxy: CLIENT_IP_HEADER names the header
    # the proxy sets (e.g. HTTP_X_REAL_IP). Never trust it without such a proxy.
    if settings.CLIENT_IP_HEADER:
        forwarded = request.META.get(settings.CLIENT_IP_HEADER, "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def too_many_requests(retry_after, message):
    response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response


def hit(key, period):
    """Count one hit in a fixed window of `period` seconds; returns the count."""
    # add() only writes when the key is missing, so the window's expiry is set once.
    cache.add(key, 0, timeout=period)
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add() and incr().
        cache.add(key, 1, timeout=period)
        return 1


def limit_per_ip(scope, period=60):
    """At most settings.PORTAL_RATE_LIMIT requests per `period` seconds per address."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            window = int(time.time() // period)
            key = f"ratelimit:{scope}:{client_ip(request)}:{window}"
            if hit(key, period) > settings.PORTAL_RATE_LIMIT:
                return too_many_requests(
                    period - int(time.time()) % period,
                    "Trop de requêtes depuis votre adresse : patientez une minute puis réessayez.",
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class AdminLoginLockoutMiddleware:
    """Lock an address out of the admin login after repeated failed attempts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or request.path != reverse("admin:login"):
            return self.get_response(request)
        key = f"login-failures:{client_ip(request)}"
        period = settings.ADMIN_LOGIN_LOCKOUT_SECONDS
        if cache.get(key, 0) >= settings.ADMIN_LOGIN_MAX_FAILURES:
            return too_many_requests(
                period,
                f"Trop d'échecs de connexion depuis votre adresse : réessayez dans "
                f"{period // 60} minutes.",
            )
        response = self.get_response(request)
        # The login view redirects on success and shows the form again on failure.
        if response.status_code == 200:
            hit(key, period)
        elif response.status_code == 302:
            cache.delete(key)
        return response
