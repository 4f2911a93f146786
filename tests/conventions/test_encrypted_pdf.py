"""Encrypted PDFs are refused for what they are, whatever the algorithm (issue 12, item 2)."""

import io
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfWriter
from pypdf.generic import ByteStringObject, DictionaryObject, NameObject, NumberObject

from tests.portal_helpers import issued_ceret

pytestmark = [pytest.mark.django_db]

IDENTIFIER = "066-216600494-20260603-DCM1212026-DE"


def rc4_pdf(password):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def aes256_pdf():
    # pypdf writes AES only with the `cryptography` package, which entconv does not need:
    # the file is built by hand. Its /Encrypt dictionary is the one AES-256 (PDF 2.0, V5 R6)
    # writes; its keys are random, as a reader that cannot decrypt sees them anyway.
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    crypt_filter = DictionaryObject(
        {
            NameObject("/CFM"): NameObject("/AESV3"),
            NameObject("/AuthEvent"): NameObject("/DocOpen"),
            NameObject("/Length"): NumberObject(32),
        }
    )
    encrypt = DictionaryObject(
        {
            NameObject("/Filter"): NameObject("/Standard"),
            NameObject("/V"): NumberObject(5),
            NameObject("/R"): NumberObject(6),
            NameObject("/Length"): NumberObject(256),
            NameObject("/P"): NumberObject(-4),
            NameObject("/O"): ByteStringObject(os.urandom(48)),
            NameObject("/U"): ByteStringObject(os.urandom(48)),
            NameObject("/OE"): ByteStringObject(os.urandom(32)),
            NameObject("/UE"): ByteStringObject(os.urandom(32)),
            NameObject("/Perms"): ByteStringObject(os.urandom(16)),
            NameObject("/StmF"): NameObject("/StdCF"),
            NameObject("/StrF"): NameObject("/StdCF"),
            NameObject("/CF"): DictionaryObject({NameObject("/StdCF"): crypt_filter}),
        }
    )
    writer._encrypt_entry = writer._add_object(encrypt)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def ceret(seed_data, private_storage):
    return issued_ceret()


@pytest.mark.parametrize(
    "content",
    [aes256_pdf(), rc4_pdf("secret"), rc4_pdf("")],
    ids=["aes-256", "rc4-password", "rc4-empty-password"],
)
def test_encrypted_pdf_is_refused_with_its_reason(client, ceret, private_storage, content):
    convention, token = ceret
    response = client.post(
        reverse("conventions:portal", args=[token]),
        {
            "signed_pdf": SimpleUploadedFile(
                "signee.pdf", content, content_type="application/pdf"
            ),
            "act_date": "2026-06-03",
            "act_identifier": IDENTIFIER,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Le fichier « signee.pdf » est un PDF chiffré (protégé par mot de passe)" in page
    assert "endommagé" not in page
    convention.refresh_from_db()
    assert convention.status == "emise"
    assert not convention.signed_pdf
    assert not list(Path(private_storage.location).rglob("*signee*"))
