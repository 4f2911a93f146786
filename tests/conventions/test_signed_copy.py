import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from conventions.models import Convention
from tests.portal_helpers import issued_ceret, make_pdf

pytestmark = [pytest.mark.django_db]

IDENTIFIER = "066-216600494-20260603-DCM1212026-DE"


@pytest.fixture
def ceret(seed_data, private_storage):
    convention, token = issued_ceret()
    # The seed collectivité's SIREN (216600494) is the one of Céret's real @ctes acts.
    assert convention.collectivite.siren == "216600494"
    return convention, token


@pytest.fixture
def staff_emails(settings):
    settings.STAFF_NOTIFICATION_EMAILS = ["ent-ecole@rectorat.example"]


def upload(
    client,
    token,
    *,
    content,
    name="convention-signee.pdf",
    identifier=IDENTIFIER,
    act_date="2026-06-03",
):
    return client.post(
        reverse("conventions:portal", args=[token]),
        {
            "signed_pdf": SimpleUploadedFile(name, content, content_type="application/pdf"),
            "act_date": act_date,
            "act_identifier": identifier,
        },
    )


def stored_files(location):
    return sorted(path.name for path in location.rglob("*") if path.is_file())


def test_signed_copy_is_stored_privately_and_staff_told(
    client, ceret, staff_emails, mailoutbox, django_capture_on_commit_callbacks, private_storage
):
    convention, token = ceret
    signed = make_pdf(pages=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, token, content=signed)
    assert response.status_code == 302
    assert response["Location"].endswith("?depot=ok")

    convention.refresh_from_db()
    assert convention.status == "signee_collectivite"
    assert convention.signed_by_collectivite_at is not None
    assert convention.act_date == datetime.date(2026, 6, 3)
    assert convention.act_identifier == IDENTIFIER
    with convention.signed_pdf.open("rb") as stored:
        assert stored.read() == signed
    assert (Path(private_storage.location) / convention.signed_pdf.name).is_file()

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ent-ecole@rectorat.example"]
    assert "Céret" in mail.subject
    assert IDENTIFIER in mail.body
    assert "03/06/2026" in mail.body

    page = client.get(response["Location"]).content.decode()
    assert "la convention signée a bien été déposée" in page
    assert "signée par la collectivité" in page
    assert "Le service ENT-École en est averti." in page
    # Its own copy to download, and a form to replace it until the académie signs.
    assert 'href="convention-signee.pdf"' in page
    assert "Remplacer la convention signée" in page


def test_lowercase_identifier_is_accepted_and_normalised(client, ceret):
    convention, token = ceret
    assert (
        upload(client, token, content=make_pdf(), identifier=IDENTIFIER.lower()).status_code == 302
    )
    convention.refresh_from_db()
    assert convention.act_identifier == IDENTIFIER


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"content": png_bytes()}, "n&#x27;est pas un PDF"),
        ({"content": b"%PDF-1.7\nnot really a pdf\n%%EOF\n"}, "PDF endommagé ou illisible"),
        (
            {"content": b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)},
            "pèse 11,0 Mo : la limite est de 10 Mo",
        ),
        (
            {"content": make_pdf(), "identifier": "066-213101181-20260603-DCM1212026-DE"},
            "le SIREN 213101181 n&#x27;est pas celui de la collectivité (216600494)",
        ),
        (
            {"content": make_pdf(), "identifier": "66-216600494-20260603-DCM1212026-DE"},
            "il s&#x27;écrit DÉPARTEMENT-SIREN-AAAAMMJJ-NUMÉRO-NATURE",
        ),
        (
            {"content": make_pdf(), "identifier": "066-216600494-20260230-DCM1212026-DE"},
            "20260230 n&#x27;est pas une date",
        ),
        (
            {"content": make_pdf(), "act_date": "2026-06-04"},
            "la date 03/06/2026 ne correspond pas à la date de l&#x27;acte saisie (04/06/2026)",
        ),
        ({"content": make_pdf(), "act_date": ""}, "Ce champ est obligatoire"),
        (
            {
                "content": make_pdf(),
                "act_date": "2099-12-31",
                "identifier": "066-216600494-20991231-DCM1212026-DE",
            },
            "La date de l&#x27;acte (31/12/2099) est dans le futur",
        ),
        (
            {
                "content": make_pdf(),
                "act_date": "1900-01-01",
                "identifier": "066-216600494-19000101-DCM1212026-DE",
            },
            "La date de l&#x27;acte (01/01/1900) précède l&#x27;émission de la convention "
            "(21/05/2026)",
        ),
        (
            {"content": make_pdf(), "identifier": "999-216600494-20260603-DCM1212026-DE"},
            "le département 999 n&#x27;est pas celui de la collectivité (066)",
        ),
        (
            {"content": make_pdf(), "identifier": "066-216600494-20260603-DCM1212026-ZZ"},
            "la nature ZZ n&#x27;existe pas dans @ctes",
        ),
    ],
    ids=[
        "png-renamed-pdf",
        "broken-pdf",
        "11-mb",
        "other-siren",
        "bad-format",
        "bad-date",
        "date-mismatch",
        "no-date",
        "future-act",
        "act-before-issue",
        "other-departement",
        "unknown-nature",
    ],
)
def test_refused_upload_stores_nothing(
    client, ceret, private_storage, mailoutbox, kwargs, message
):
    convention, token = ceret
    before = stored_files(Path(private_storage.location))
    response = upload(client, token, **kwargs)
    assert response.status_code == 200
    assert message in response.content.decode()
    convention.refresh_from_db()
    assert convention.status == "emise"
    assert not convention.signed_pdf
    assert convention.act_identifier == ""
    assert stored_files(Path(private_storage.location)) == before
    assert mailoutbox == []


def test_upload_needs_csrf(ceret):
    from django.test import Client

    _, token = ceret
    response = upload(Client(enforce_csrf_checks=True), token, content=make_pdf())
    assert response.status_code == 403
    assert Convention.objects.get(pk=ceret[0].pk).status == "emise"


def test_staff_download_the_signed_copy_from_the_admin(client, admin_client, ceret):
    convention, token = ceret
    signed = make_pdf(pages=2)
    upload(client, token, content=signed)
    change = admin_client.get(
        reverse("admin:conventions_convention_change", args=[convention.pk])
    ).content.decode()
    download = reverse("admin:conventions_convention_signed_copy", args=[convention.pk])
    assert download in change
    assert IDENTIFIER in change
    response = admin_client.get(download)
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == signed
    # Not for the public, even with the URL.
    assert client.get(download).status_code == 302


def test_without_staff_address_the_page_does_not_say_staff_were_told(
    client, ceret, settings, mailoutbox
):
    settings.STAFF_NOTIFICATION_EMAILS = []
    _, token = ceret
    response = upload(client, token, content=make_pdf())
    page = client.get(response["Location"]).content.decode()
    assert "la convention signée a bien été déposée" in page
    assert "averti" not in page
    assert mailoutbox == []


def test_the_mairie_downloads_and_replaces_its_copy_until_the_academie_signs(
    client, ceret, staff_emails, mailoutbox, django_capture_on_commit_callbacks, private_storage
):
    convention, token = ceret
    first, second = make_pdf(pages=1), make_pdf(pages=2)
    upload(client, token, content=first)
    own = client.get(reverse("conventions:portal_signed_pdf", args=[token]))
    assert own["Content-Disposition"] == (
        'attachment; filename="convention-ent-ecole-2026-2027-ceret-signee.pdf"'
    )
    assert b"".join(own.streaming_content) == first
    convention.refresh_from_db()
    first_name = convention.signed_pdf.name

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            client,
            token,
            content=second,
            identifier="066-216600494-20260604-DCM1212027-DE",
            act_date="2026-06-04",
        )
    assert response.status_code == 302
    convention.refresh_from_db()
    assert convention.status == "signee_collectivite"
    assert convention.act_identifier == "066-216600494-20260604-DCM1212027-DE"
    with convention.signed_pdf.open("rb") as stored:
        assert stored.read() == second
    # The replaced file is gone from the private folder.
    assert not (Path(private_storage.location) / first_name).exists()
    assert [mail.subject for mail in mailoutbox] == [
        "Convention signée remplacée : Céret (ENT-2026-2027-11-66049-01)"
    ]
    assert "un nouvel exemplaire" in mailoutbox[0].body

    convention.transition_to("signee_academie")
    page = client.get(reverse("conventions:portal", args=[token])).content.decode()
    assert "Remplacer la convention signée" not in page
    assert "ne peut plus être remplacé" in page
    response = upload(client, token, content=first)
    assert response.status_code == 200
    convention.refresh_from_db()
    with convention.signed_pdf.open("rb") as stored:
        assert stored.read() == second
