"""Rate limits kept in Django's cache: no extra service.

With the default local-memory cache each worker process counts on its own: production points
CACHE_URL at a shared cache (the database cache), which `check --deploy` requires.
"""

import hashlib
import ipaddress
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse


def is_trusted_proxy(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(proxy, strict=False) for proxy in settings.TRUSTED_PROXIES
    )


def client_ip(request):
    # Behind a reverse proxy REMOTE_ADDR is the proxy: CLIENT_IP_HEADER names the header
    # the proxy sets (e.g. HTTP_X_REAL_IP). Anyone reaching gunicorn directly could write
    # it too, so it is read only when the connection comes from a trusted proxy.
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.CLIENT_IP_HEADER or not is_trusted_proxy(remote):
        return remote
    # X-Forwarded-For reads "client, proxy1, proxy2": each proxy appends the address it
    # received the request from, and everything left of that is what the client wrote. The
    # client is the rightmost address that is not one of our proxies.
    entries = [
        entry.strip() for entry in request.META.get(settings.CLIENT_IP_HEADER, "").split(",")
    ]
    for entry in reversed(entries):
        if not is_trusted_proxy(entry):
            try:
                return str(ipaddress.ip_address(entry))
            except ValueError:
                # Not an address a proxy would write: count the proxy's connection.
                return remote
    return remote


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
    """Lock the admin login after repeated failures, for the address and for the account.

    Per address only, one could try passwords on one account from many addresses; per
    account only, one could try one password on every account.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or request.path != reverse("admin:login"):
            return self.get_response(request)
        username = request.POST.get("username", "").strip().casefold()
        # Hashed: a cache key must not carry spaces or control characters.
        account = hashlib.sha256(username.encode()).hexdigest()
        keys = {
            "address": f"login-failures:ip:{client_ip(request)}",
            "account": f"login-failures:user:{account}",
        }
        period = settings.ADMIN_LOGIN_LOCKOUT_SECONDS
        counts = cache.get_many(keys.values())
        if counts.get(keys["address"], 0) >= settings.ADMIN_LOGIN_MAX_FAILURES:
            return too_many_requests(
                period,
                f"Trop d'échecs de connexion depuis votre adresse : réessayez dans "
                f"{period // 60} minutes.",
            )
        if counts.get(keys["account"], 0) >= settings.ADMIN_LOGIN_MAX_FAILURES:
            return too_many_requests(
                period,
                f"Trop d'échecs de connexion pour ce compte : il est bloqué, réessayez dans "
                f"{period // 60} minutes.",
            )
        response = self.get_response(request)
        # The login view redirects on success and shows the form again on failure.
        if response.status_code == 200:
            for key in keys.values():
                hit(key, period)
        elif response.status_code == 302:
            cache.delete_many(keys.values())
        return response
