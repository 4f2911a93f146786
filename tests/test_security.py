import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.portal_helpers import issued_ceret

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["conventions:home", "conventions:simulator", "admin:login"])
def test_security_headers(client, name):
    response = client.get(reverse(name))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    # The nonce appears only on pages that use it (the admin's).
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_private_files_are_attachments_never_inline(client, seed_data, private_storage):
    _, token = issued_ceret()
    response = client.get(reverse("conventions:portal_pdf", args=[token]))
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    # No URL of the private storage exists at all.
    assert client.get("/private/").status_code == 404
    assert client.get("/media/conventions/").status_code == 404


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "entconv.region-academique-occitanie.fr",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "MAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "STAFF_NOTIFICATION_EMAILS": "ent-ecole@region-academique-occitanie.fr",
        "CACHE_URL": "dbcache://entconv_cache",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
