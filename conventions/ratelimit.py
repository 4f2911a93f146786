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
from django.template.loader import render_to_string
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


def too_many_requests(request, retry_after, message):
    response = HttpResponse(
        render_to_string("429.html", {"message": message}, request), status=429
    )
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
                    request,
                    period - int(time.time()) % period,
                    "Trop de requêtes depuis votre adresse : patientez une minute puis réessayez.",
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def login_failure_keys(request, username):
    # Hashed: a cache key must not carry spaces or control characters.
    account = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
    return {
        "address": f"login-failures:ip:{client_ip(request)}",
        "account": f"login-failures:user:{account}",
    }


def login_lockout(request, username):
    """The 429 answer when the address or the account is locked out, else None."""
    keys = login_failure_keys(request, username)
    period = settings.ADMIN_LOGIN_LOCKOUT_SECONDS
    counts = cache.get_many(keys.values())
    if counts.get(keys["address"], 0) >= settings.ADMIN_LOGIN_MAX_FAILURES:
        return too_many_requests(
            request,
            period,
            f"Trop d'échecs de connexion depuis votre adresse : réessayez dans "
            f"{period // 60} minutes.",
        )
    if counts.get(keys["account"], 0) >= settings.ADMIN_LOGIN_MAX_FAILURES:
        return too_many_requests(
            request,
            period,
            f"Trop d'échecs de connexion pour ce compte : il est bloqué, réessayez dans "
            f"{period // 60} minutes.",
        )
    return None


def count_login_failure(request, username, user=None):
    """One more failed password or code; the failures so far of the address and account."""
    from entconv.security_events import record_login_event

    period = settings.ADMIN_LOGIN_LOCKOUT_SECONDS
    counts = []
    for key in login_failure_keys(request, username).values():
        counts.append(hit(key, period))
        # A cache without its own incr() (the database cache) writes the count back with
        # the default timeout (5 minutes): the lock-out lasts its full period after the
        # last failure whatever the cache.
        cache.touch(key, period)
    if max(counts) == settings.ADMIN_LOGIN_MAX_FAILURES:
        record_login_event("locked_out", user or username, client_ip(request))
    return counts


def clear_login_failures(request, username):
    cache.delete_many(login_failure_keys(request, username).values())


class AdminLoginLockoutMiddleware:
    """Lock the admin login after repeated failures, for the address and for the account.

    Per address only, one could try passwords on one account from many addresses; per
    account only, one could try one password on every account. A wrong second-factor code
    counts as a failure too (entconv/two_factor_views.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or request.path != reverse("admin:login"):
            return self.get_response(request)
        from entconv.security_events import record_login_event
        from entconv.two_factor import second_factor_needed

        username = request.POST.get("username", "")
        locked = login_lockout(request, username)
        if locked is not None:
            return locked
        response = self.get_response(request)
        # The login view redirects on success and shows the form again on failure.
        if response.status_code == 200:
            record_login_event("password_failed", username.strip(), client_ip(request))
            count_login_failure(request, username)
        elif response.status_code == 302:
            if second_factor_needed(request.user):
                # Only the code completes the login: the failures counted so far stay, or
                # a stolen password would buy fresh tries at the code after each login.
                record_login_event("password_accepted", request.user, client_ip(request))
            else:
                record_login_event("logged_in", request.user, client_ip(request))
                clear_login_failures(request, username)
        return response
