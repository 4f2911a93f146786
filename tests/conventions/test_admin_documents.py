import html
import io
import zipfile

import pytest
from django.urls import reverse

from conventions.enums import ConventionStatus
from conventions.issuing import issue
from conventions.models import Convention, ConventionTemplate
from tests.factories import (
    AcademieFactory,
    CommuneFactory,
    DepartementFactory,
    complete_convention,
)
from tests.pdf import pdf_text

pytestmark = pytest.mark.django_db


def change_url(convention):
    return reverse("admin:conventions_convention_change", args=[convention.pk])


def test_issue_from_the_admin_after_confirmation_then_download(admin_client):
    convention = complete_convention(school_count=2)
    page = admin_client.get(change_url(convention)).content.decode()
    assert "Prévisualiser" in page and "Émettre…" in page
    assert "Télécharger le PDF" not in page

    confirm = admin_client.get(reverse("admin:conventions_convention_issue", args=[convention.pk]))
    assert "Oui, émettre la convention" in confirm.content.decode()
    convention.refresh_from_db()
    assert convention.status == ConventionStatus.BROUILLON  # a GET issues nothing

    admin_client.post(reverse("admin:conventions_convention_issue", args=[convention.pk]))
    convention.refresh_from_db()
    assert convention.status == ConventionStatus.EMISE

    page = admin_client.get(change_url(convention)).content.decode()
    assert "Télécharger le PDF" in page and "Annuler et remplacer…" in page
    # The printed parties are read-only once issued: no input for them any more.
    assert 'name="document_date"' not in page
    assert 'name="collectivite"' not in page
    download = admin_client.get(reverse("admin:conventions_convention_pdf", args=[convention.pk]))
    assert download.content == convention.pdf.open("rb").read()
    convention.pdf.close()
    assert download["Content-Disposition"] == f'attachment; filename="{convention.reference}.pdf"'


def test_an_incomplete_convention_shows_what_is_missing_instead_of_issuing(admin_client):
    convention = complete_convention()
    Convention.objects.update(document_date=None)

    response = admin_client.post(
        reverse("admin:conventions_convention_issue", args=[convention.pk])
    )

    assert "la date de la convention n'est pas renseignée" in html.unescape(
        response.content.decode()
    )
    convention.refresh_from_db()
    assert convention.status == ConventionStatus.BROUILLON


def test_cancel_and_replace_from_the_admin(admin_client):
    convention = issue(complete_convention())
    url = reverse("admin:conventions_convention_cancel", args=[convention.pk]) + "?remplacer=1"

    response = admin_client.post(url, {"reason": "mauvaise école"})

    replacement = Convention.objects.get(replaces=convention)
    assert response.url == change_url(replacement)
    assert replacement.status == ConventionStatus.BROUILLON


def test_zip_of_a_school_year_holds_the_issued_pdfs_of_the_chosen_academie(admin_client):
    toulouse = issue(complete_convention())
    montpellier_dept = DepartementFactory(
        code="066",
        name="Pyrénées-Orientales",
        academie=AcademieFactory(code="11", name="Montpellier"),
    )
    montpellier = issue(complete_convention(commune=CommuneFactory(departement=montpellier_dept)))
    complete_convention()  # a draft: not in the ZIP
    url = reverse("admin:conventions_schoolyear_zip", args=[toulouse.school_year_id])

    every = zipfile.ZipFile(io.BytesIO(b"".join(admin_client.get(url).streaming_content)))
    only_11 = zipfile.ZipFile(
        io.BytesIO(b"".join(admin_client.get(url, {"academie": "11"}).streaming_content))
    )

    assert sorted(every.namelist()) == sorted(
        [f"{toulouse.reference}.pdf", f"{montpellier.reference}.pdf"]
    )
    assert only_11.namelist() == [f"{montpellier.reference}.pdf"]
    assert only_11.read(only_11.namelist()[0]) == montpellier.pdf.open("rb").read()
    montpellier.pdf.close()


def test_template_preview_and_duplicate_for_next_year(admin_client):
    convention = complete_convention()
    template = ConventionTemplate.objects.get()
    template.name = f"Modèle {convention.school_year}"
    template.save()

    preview = admin_client.get(
        reverse("admin:conventions_conventiontemplate_preview", args=[template.pk])
    )
    assert preview["Content-Type"] == "application/pdf"
    text = pdf_text(preview.content)
    assert "PROJET" in text
    assert "2 x 41 € soit 82 €" in text

    admin_client.post(
        reverse("admin:conventions_conventiontemplate_duplicate", args=[template.pk])
    )
    copy = ConventionTemplate.objects.get(school_year__label="2027-2028")
    assert copy.name == "Modèle 2027-2028"
    assert copy.body == template.body

    again = admin_client.post(
        reverse("admin:conventions_conventiontemplate_duplicate", args=[template.pk]), follow=True
    )
    assert "Un modèle existe déjà pour 2027-2028" in html.unescape(again.content.decode())
