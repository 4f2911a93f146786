import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.portal_helpers import issued_ceret

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]


def test_a_50_mb_upload_is_refused_before_being_read(client, seed_data, monkeypatch):
    _, token = issued_ceret()
    read = []
    monkeypatch.setattr(
        "django.http.request.HttpRequest.read", lambda self, *a: read.append(a) or b""
    )
    response = client.post(
        reverse("conventions:portal", args=[token]),
        {"signed_pdf": SimpleUploadedFile("gros.pdf", b"%PDF-", "application/pdf")},
        # What the browser announces for a 50 MB file.
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.content.decode() == "La requête est trop volumineuse : 12 Mo au plus."
    assert read == []


def test_a_body_under_the_cap_goes_through(client, seed_data, settings):
    _, token = issued_ceret()
    settings.MAX_REQUEST_BODY = 1024 * 1024
    big = SimpleUploadedFile("gros.pdf", b"%PDF-" + b"0" * 1_100_000, "application/pdf")
    url = reverse("conventions:portal", args=[token])
    assert client.post(url, {"signed_pdf": big}).status_code == 413
    small = SimpleUploadedFile("petit.pdf", b"%PDF-" + b"0" * 900_000, "application/pdf")
    response = client.post(url, {"signed_pdf": small})
    assert response.status_code == 200
    assert "endommagé ou illisible" in response.content.decode()


def test_staff_may_send_larger_files(client, admin_client, settings):
    settings.MAX_REQUEST_BODY = 1024
    settings.MAX_STAFF_REQUEST_BODY = 4096
    body = {"q": "x" * 2000}
    url = reverse("admin:index")
    assert client.post(url, body).status_code == 413
    assert admin_client.post(url, body).status_code != 413
    assert admin_client.post(url, {"q": "x" * 5000}).status_code == 413
