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
    assert "Trop de requêtes" in response.content.decode()
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


def test_admin_login_locks_out_after_repeated_failures(client, staff, settings):
    login = reverse("admin:login")
    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES):
        response = client.post(login, {"username": "admin", "password": "mauvais"})
        assert response.status_code == 200
    # Even the right password is refused while locked out.
    response = client.post(login, {"username": "admin", "password": "password"})
    assert response.status_code == 429
    assert "Trop d'échecs de connexion" in response.content.decode()
    other = client.post(
        login, {"username": "admin", "password": "password"}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302


def test_successful_login_resets_the_count(client, staff, settings):
    login = reverse("admin:login")
    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES - 1):
        client.post(login, {"username": "admin", "password": "mauvais"})
    assert client.post(login, {"username": "admin", "password": "password"}).status_code == 302
    client.logout()
    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES - 1):
        assert client.post(login, {"username": "admin", "password": "x"}).status_code == 200
