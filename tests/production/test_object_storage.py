"""Issued PDFs and signed copies in an S3-compatible object storage (moto's server on
127.0.0.1), through the same code as production: STORAGE_URL → django-storages."""

import hashlib
import io
import zipfile

import boto3
import pytest
from botocore.client import BaseClient
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from conventions.enums import ConventionStatus
from conventions.issuing import issue
from conventions.models import Convention
from conventions.private_storage import move
from entconv import object_storage
from tests.factories import complete_convention
from tests.portal_helpers import issued_ceret, make_pdf
from tests.production.conftest import bucket_keys

pytestmark = pytest.mark.django_db

IDENTIFIER = "066-216600494-20260603-DCM1212026-DE"


def upload(client, token, content):
    return client.post(
        reverse("conventions:portal", args=[token]),
        {
            "signed_pdf": SimpleUploadedFile("signee.pdf", content, "application/pdf"),
            "act_date": "2026-06-03",
            "act_identifier": IDENTIFIER,
        },
    )


def read(storage, name):
    with storage.open(name, "rb") as file:
        return file.read()


def test_issue_download_and_signed_copy_go_through_the_bucket(
    client, seed_data, s3_storage, django_capture_on_commit_callbacks
):
    convention, token = issued_ceret()
    final = f"conventions/{convention.reference}.pdf"
    assert bucket_keys(s3_storage) == [final]  # no pending ".part" left behind
    issued = read(s3_storage, final)
    assert hashlib.sha256(issued).hexdigest() == convention.pdf_sha256

    download = client.get(reverse("conventions:portal_pdf", args=[token]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == issued

    first, second = make_pdf(pages=2), make_pdf(pages=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(client, token, first).status_code == 302
    convention.refresh_from_db()
    assert convention.status == ConventionStatus.SIGNEE_COLLECTIVITE
    assert read(s3_storage, convention.signed_pdf.name) == first
    # A replacement keeps its own object: the previous one is deleted once committed, and
    # the new one survives that deletion.
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(client, token, second).status_code == 302
    convention.refresh_from_db()
    assert bucket_keys(s3_storage) == sorted([final, convention.signed_pdf.name])
    signed = client.get(reverse("conventions:portal_signed_pdf", args=[token]))
    assert b"".join(signed.streaming_content) == second

    out = io.StringIO()
    call_command("verify_documents", stdout=out)
    assert "2 fichiers examinés : 0 sans convention, 0 manquant, 0 modifié." in (out.getvalue())


def test_zip_of_a_year_reads_the_bucket(admin_client, s3_storage):
    first = issue(complete_convention())
    second = issue(complete_convention(school_year=first.school_year, academie=first.academie))
    url = reverse("admin:conventions_schoolyear_zip", args=[first.school_year_id])

    archive = zipfile.ZipFile(io.BytesIO(b"".join(admin_client.get(url).streaming_content)))

    assert sorted(archive.namelist()) == sorted(
        [f"{first.reference}.pdf", f"{second.reference}.pdf"]
    )
    for convention in (first, second):
        assert archive.read(f"{convention.reference}.pdf") == read(s3_storage, convention.pdf.name)


def test_the_bucket_is_never_exposed_through_a_public_url(seed_data, s3_storage):
    convention, _token = issued_ceret()
    # The object keeps the bucket's private ACL: anonymous reads are refused.
    acl = s3_storage.bucket.Object(convention.pdf.name).Acl()
    assert [grant["Grantee"].get("URI") for grant in acl.grants] == [None]
    assert s3_storage.querystring_auth and s3_storage.default_acl is None


def test_an_unwritable_bucket_fails_each_convention_cleanly(s3_storage, storage_url, monkeypatch):
    drafts = [complete_convention(), complete_convention()]
    missing = storages.create_storage(
        object_storage.private_storage(storage_url.rsplit("/", 1)[0] + "/absent", None)
    )
    for field in ("pdf", "signed_pdf"):
        monkeypatch.setattr(Convention._meta.get_field(field), "storage", missing)

    with pytest.raises(ValidationError) as error:
        issue(drafts[0])
    assert error.value.messages == [
        f"Le PDF de la convention {drafts[0].reference} n'a pas pu être enregistré : le "
        "stockage des fichiers est injoignable ou refuse l'écriture. La convention reste en "
        "brouillon ; réessayez une fois le stockage rétabli."
    ]
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 convention"):
        call_command("issue_conventions", "--year", drafts[0].school_year.label, stderr=err)
    for draft in drafts:
        assert f"Non émise — {draft.reference} : Le PDF de la convention" in err.getvalue()
        draft.refresh_from_db()
        assert draft.status == ConventionStatus.BROUILLON
        assert (draft.pdf.name, draft.pdf_sha256, draft.issued_amount) == ("", "", None)
        assert draft.issued_at is None

    # The storage is back: the same command issues them.
    for field in ("pdf", "signed_pdf"):
        monkeypatch.setattr(Convention._meta.get_field(field), "storage", s3_storage)
    call_command("issue_conventions", "--year", drafts[0].school_year.label, stderr=err)
    assert Convention.objects.filter(status=ConventionStatus.EMISE).count() == 2
    assert len(bucket_keys(s3_storage)) == 2


def test_a_stopped_storage_server_leaves_the_convention_a_draft(private_storage, monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        region_name="us-east-1",
    ).create_bucket(Bucket="coupe")
    storage = storages.create_storage(
        object_storage.private_storage(f"s3+http://k:s@{host}:{port}/coupe", None)
    )
    monkeypatch.setattr(Convention._meta.get_field("pdf"), "storage", storage)
    draft = complete_convention()
    server.stop()

    with pytest.raises(ValidationError, match="stockage des fichiers est injoignable"):
        issue(draft)
    draft.refresh_from_db()
    assert draft.status == ConventionStatus.BROUILLON and not draft.pdf


def test_an_issue_interrupted_before_the_rename_is_finished_in_the_bucket(s3_storage):
    convention = issue(complete_convention())
    final = convention.pdf.name
    # What a process killed between the commit and the rename leaves.
    move(s3_storage, final, f"{final}.part")
    with pytest.raises(CommandError):
        call_command("verify_documents", stdout=io.StringIO(), stderr=io.StringIO())

    call_command("verify_documents", "--repair", stdout=io.StringIO())

    assert bucket_keys(s3_storage) == [final]
    assert hashlib.sha256(read(s3_storage, final)).hexdigest() == convention.pdf_sha256


def test_storage_url_settings():
    assert object_storage.private_storage("", "/srv/private")["OPTIONS"] == {
        "location": "/srv/private",
        "base_url": None,
        "file_permissions_mode": 0o600,
        "directory_permissions_mode": 0o700,
    }
    options = object_storage.private_storage(
        "s3://CLE:s%2Fecret@s3.fr-par.scw.cloud/entconv?region=fr-par", None
    )["OPTIONS"]
    assert (options["endpoint_url"], options["bucket_name"], options["region_name"]) == (
        "https://s3.fr-par.scw.cloud",
        "entconv",
        "fr-par",
    )
    assert (options["access_key"], options["secret_key"]) == ("CLE", "s/ecret")
    for wrong in ("ftp://h/b", "s3://cle:secret@hote", "s3:///b"):
        with pytest.raises(ImproperlyConfigured, match="STORAGE_URL invalide"):
            object_storage.private_storage(wrong, None)


def test_issuing_writes_once_and_renames_replacing_what_a_killed_process_left(
    s3_storage, monkeypatch
):
    convention = complete_convention()
    final = f"conventions/{convention.reference}.pdf"
    # What a process killed while issuing this draft left: a pending object, and (with the
    # former code) one under the final name.
    s3_storage.save(f"{final}.part", io.BytesIO(b"%PDF- interrompu"))
    s3_storage.save(final, io.BytesIO(b"%PDF- orphelin"))
    operations = []
    make_api_call = BaseClient._make_api_call

    def spy(client, operation, params):
        operations.append(operation)
        return make_api_call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", spy)
    issued = issue(convention)

    # One upload under the pending name, then the rename: no existence check, no deletion
    # beforehand (the upload and the copy replace what is there).
    assert operations == ["PutObject", "CopyObject", "DeleteObject"]
    assert bucket_keys(s3_storage) == [final]
    assert hashlib.sha256(read(s3_storage, final)).hexdigest() == issued.pdf_sha256
    assert s3_storage.bucket.Object(final).content_type == "application/pdf"
