"""Issued and signed PDFs are readable by the service's account only (issue 12, item 13)."""

import stat
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.module_loading import import_string

from conventions.models import Convention
from tests.portal_helpers import issued_ceret, make_pdf

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def configured_private_storage(settings, tmp_path, monkeypatch):
    # The private storage exactly as settings.py configures it, in a throw-away folder.
    config = settings.STORAGES["private"]
    storage = import_string(config["BACKEND"])(
        **{**config["OPTIONS"], "location": str(tmp_path / "private")}
    )
    for name in ("pdf", "signed_pdf"):
        monkeypatch.setattr(Convention._meta.get_field(name), "storage", storage)
    return Path(storage.location)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_issued_and_signed_pdfs_are_written_0600(client, seed_data, configured_private_storage):
    convention, token = issued_ceret()
    response = client.post(
        reverse("conventions:portal", args=[token]),
        {
            "signed_pdf": SimpleUploadedFile("s.pdf", make_pdf(), content_type="application/pdf"),
            "act_date": "2026-06-03",
            "act_identifier": "066-216600494-20260603-DCM1212026-DE",
        },
    )
    assert response.status_code == 302
    convention.refresh_from_db()
    issued = configured_private_storage / convention.pdf.name
    signed = configured_private_storage / convention.signed_pdf.name
    assert oct(mode(issued)) == oct(0o600)
    assert oct(mode(signed)) == oct(0o600)
    # Folders created for them are closed to other accounts as well.
    assert oct(mode(issued.parent)) == oct(0o700)
    assert oct(mode(signed.parent)) == oct(0o700)
