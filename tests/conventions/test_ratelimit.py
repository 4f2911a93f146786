import html

import pytest
from django.urls import reverse

from tests.portal_helpers import issued_ceret

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]


def status(client, url, **extra):
    response = client.get(url, **extra)
    if response.streaming:
        # Read to the end: the test client then closes the file without closing the
        # test's database connection (as response.close() alone would).
        b"".join(response.streaming_content)
    return response.status_code


def test_token_pages_answer_429_after_30_requests_a_minute(client, seed_data, settings):
    _, token = issued_ceret()
    page = reverse("conventions:portal", args=[token])
    pdf = reverse("conventions:portal_pdf", args=[token])
    for n in range(settings.PORTAL_RATE_LIMIT):
        assert status(client, pdf if n % 2 else page) == 200
    response = client.get(page)
    assert response.status_code == 429
    assert "Trop de requêtes" in html.unescape(response.content.decode())
    assert 0 < int(response["Retry-After"]) <= 60
    assert status(client, pdf) == 429
    # Guessing tokens counts too, and another address is not held back.
    assert client.get(reverse("conventions:portal", args=["x" * 43])).status_code == 429
    assert client.get(page, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_upload_is_rate_limited(client, seed_data, settings):
    _, token = issued_ceret()
    settings.PORTAL_RATE_LIMIT = 3
    url = reverse("conventions:portal", args=[token])
    for _ in range(3):
        assert client.post(url, {}).status_code == 200
    assert client.post(url, {}).status_code == 429


def test_public_pages_are_not_limited(client, db):
    for _ in range(40):
        assert client.get(reverse("conventions:home")).status_code == 200


@pytest.fixture
def staff(settings, django_user_model):
    # The production hasher takes a good part of a second per attempt; these tests count
    # attempts, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return django_user_model.objects.create_superuser("admin", "admin@example.com", "password")


def test_admin_login_locks_out_after_repeated_failures(client, staff, settings, django_user_model):
    login = reverse("admin:login")
    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES):
        response = client.post(login, {"username": "admin", "password": "mauvais"})
        assert response.status_code == 200
    # Even the right password is refused while locked out.
    response = client.post(login, {"username": "admin", "password": "password"})
    assert response.status_code == 429
    assert "Trop d'échecs de connexion depuis votre adresse" in html.unescape(
        response.content.decode()
    )
    # The account is locked too: another address cannot go on trying its passwords.
    other = client.post(
        login, {"username": "admin", "password": "password"}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 429
    assert "Trop d'échecs de connexion pour ce compte" in html.unescape(other.content.decode())
    # Other accounts still log in from there.
    django_user_model.objects.create_superuser("agent", "agent@example.com", "password")
    ok = client.post(login, {"username": "agent", "password": "password"}, REMOTE_ADDR="10.0.0.9")
    assert ok.status_code == 302


def test_failures_from_many_addresses_lock_the_account(client, staff, settings):
    login = reverse("admin:login")
    for n in range(settings.ADMIN_LOGIN_MAX_FAILURES):
        response = client.post(
            login, {"username": "Admin ", "password": "x"}, REMOTE_ADDR=f"10.0.1.{n}"
        )
        assert response.status_code == 200
    response = client.post(
        login, {"username": "admin", "password": "password"}, REMOTE_ADDR="10.0.2.1"
    )
    assert response.status_code == 429
    assert "pour ce compte" in html.unescape(response.content.decode())


def test_successful_login_resets_the_count(client, staff, settings):
    login = reverse("admin:login")
    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES - 1):
        client.post(login, {"username": "admin", "password": "mauvais"})
    assert client.post(login, {"username": "admin", "password": "password"}).status_code == 302
    client.logout()
    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES - 1):
        assert client.post(login, {"username": "admin", "password": "x"}).status_code == 200


def address_counted(rf, settings, remote, **headers):
    from conventions.ratelimit import client_ip

    return client_ip(rf.get("/", REMOTE_ADDR=remote, **headers))


def test_the_client_address_header_is_ignored_from_untrusted_peers(rf, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    # Reaching gunicorn directly: the header is the sender's own choice.
    assert address_counted(rf, settings, "203.0.113.9", HTTP_X_REAL_IP="10.9.9.9") == (
        "203.0.113.9"
    )
    # Through the front server, which sets it.
    assert address_counted(rf, settings, "127.0.0.1", HTTP_X_REAL_IP="203.0.113.9") == (
        "203.0.113.9"
    )
    settings.TRUSTED_PROXIES = []
    assert address_counted(rf, settings, "127.0.0.1", HTTP_X_REAL_IP="203.0.113.9") == (
        "127.0.0.1"
    )


def test_x_forwarded_for_counts_the_rightmost_untrusted_address(rf, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    # The client wrote "1.2.3.4"; the front server appended the address it saw, then an
    # internal proxy appended the front server's.
    forwarded = {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9, 10.0.0.5"}
    assert address_counted(rf, settings, "127.0.0.1", **forwarded) == "203.0.113.9"
    garbage = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, n'importe quoi"}
    assert address_counted(rf, settings, "127.0.0.1", **garbage) == "127.0.0.1"


def test_a_spoofed_header_does_not_reset_the_portal_limit(client, seed_data, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    _, token = issued_ceret()
    page = reverse("conventions:portal", args=[token])
    statuses = [
        status(client, page, REMOTE_ADDR="203.0.113.9", HTTP_X_REAL_IP=f"10.1.0.{n}")
        for n in range(settings.PORTAL_RATE_LIMIT + 1)
    ]
    assert statuses == [200] * settings.PORTAL_RATE_LIMIT + [429]


def test_the_lock_out_lasts_its_period_with_the_database_cache(client, staff, settings):
    # The database cache's incr() writes the count back with the cache's default timeout
    # (5 minutes): the lock-out ended 10 minutes early in production.
    from datetime import UTC, datetime

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "test_lockout_cache",
        }
    }
    call_command("createcachetable", verbosity=0)
    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES):
        client.post(reverse("admin:login"), {"username": "admin", "password": "mauvais"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM test_lockout_cache")
        expiries = [row[0] for row in cursor.fetchall()]
    assert len(expiries) == 2  # the address and the account
    for expires in expiries:
        if isinstance(expires, str):
            expires = datetime.fromisoformat(expires)
        if timezone.is_naive(expires):
            expires = expires.replace(tzinfo=UTC)
        remaining = (expires - timezone.now()).total_seconds()
        assert remaining > settings.ADMIN_LOGIN_LOCKOUT_SECONDS - 60
