import re

import pytest
from django.core.exceptions import ValidationError

from communes.models import Collectivite
from conventions.models import (
    Convention,
    ConventionTemplate,
    SchoolYear,
    Signatory,
    Tariff,
)
from conventions.pdf import ConventionDocument, preview
from tests.factories import ConventionFactory, ConventionTemplateFactory, complete_convention
from tests.pdf import pdf_attachment, pdf_info, pdf_text


@pytest.mark.django_db
def test_draft_pdf_prints_the_convention_and_carries_its_figures():
    convention = complete_convention(school_count=3)
    collectivite = convention.collectivite
    labels = [e.school.convention_label() for e in convention.enrollments.all()]

    pdf = preview(convention)

    text = pdf_text(pdf)
    assert "RÉGION ACADÉMIQUE OCCITANIE" in text
    assert "Liberté Égalité Fraternité" in text
    assert "PROJET" in text
    assert collectivite.name in text
    assert f"SIRET {collectivite.siret}" in text
    assert collectivite.representative_name in text
    for label in labels:
        assert label in text
    assert "à 3 x 41 € soit 123 € (cent vingt-trois euros)" in text
    assert "CONVENTION ENT-ÉCOLE 2026-2027" in text
    assert "le 21 mai 2026" in text
    assert "A Toulouse, le 21/05/2026" in text
    assert "prend fin le 5 septembre 2027" in text
    assert "Carole Drucker-Godard" in text
    assert "Page 1 sur 1" in text
    assert f"Réf. {convention.reference}" in text

    info = pdf_info(pdf)
    assert f"Convention ENT-École {convention.reference}" in info
    assert "Région académique Occitanie" in info
    assert 'pdfaid:part="3" pdfaid:conformance="A"' in info
    assert re.search(r"Tagged:\s+yes", info)
    assert re.search(r"Subject:\s+Convention de partenariat ENT-École 2026-2027", info)
    assert "ENT-École, convention, 2026-2027" in info

    figures = pdf_attachment(pdf)
    assert figures["reference"] == convention.reference
    assert figures["collectivite"]["siret"] == collectivite.siret
    assert figures["montant_ttc"] == "123.00"
    assert sorted(school["uai"] for school in figures["ecoles"]) == sorted(
        convention.schools.values_list("uai", flat=True)
    )


@pytest.mark.django_db
def test_a_template_typo_is_refused_rather_than_printed_blank():
    convention = complete_convention()
    document = ConventionDocument.for_draft(convention)
    document.template.body = "<p>{{ school_count }} x {{ rate|euros_short }} soit {{ amout }}</p>"

    with pytest.raises(Exception, match="variables inconnues : amout"):
        document.body_html()


@pytest.mark.django_db
def test_an_incomplete_convention_is_refused_with_everything_missing_in_one_message():
    convention = ConventionFactory(document_date=None, school_year__label="2030-2031")
    convention.school_year.end_date = None
    convention.school_year.save()

    with pytest.raises(ValidationError) as refused:
        ConventionDocument.for_draft(convention)

    [message] = refused.value.messages
    assert message.startswith(f"Impossible de produire la convention {convention.reference} : ")
    for missing in [
        "aucune école inscrite",
        "aucun tarif pour l'année 2030-2031 et l'académie de Toulouse",
        "aucun signataire pour l'année 2030-2031",
        "la date de fin des conventions de l'année 2030-2031 n'est pas fixée",
        "la date de la convention n'est pas renseignée",
        "aucun modèle de convention pour l'année 2030-2031",
    ]:
        assert missing in message


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spoil, missing",
    [
        (lambda c: c.enrollments.all().delete(), "aucune école inscrite"),
        (lambda c: Tariff.objects.all().delete(), "aucun tarif"),
        (lambda c: Signatory.objects.all().delete(), "aucun signataire"),
        (lambda c: Signatory.objects.update(title_lines=""), "qualité du signataire"),
        (lambda c: SchoolYear.objects.update(end_date=None), "date de fin"),
        (lambda c: Convention.objects.update(document_date=None), "date de la convention"),
        (lambda c: ConventionTemplate.objects.all().delete(), "aucun modèle"),
        (lambda c: Collectivite.objects.update(representative_name=""), "nom du représentant"),
    ],
)
def test_each_missing_piece_alone_is_refused(spoil, missing):
    convention = complete_convention()
    ConventionDocument.for_draft(convention)  # complete: accepted
    spoil(convention)
    convention = Convention.objects.get(pk=convention.pk)

    with pytest.raises(ValidationError, match=missing):
        ConventionDocument.for_draft(convention)


@pytest.mark.django_db
def test_the_academie_specific_template_wins_over_the_generic_one():
    convention = complete_convention()
    specific = ConventionTemplateFactory(
        school_year=convention.school_year, academie=convention.academie, name="Toulouse"
    )

    assert ConventionDocument.for_draft(convention).template == specific


def test_pdf_streams_are_compressed_at_zlib_default_level_not_pydyf_level_9():
    # pydyf asks for level 9; conventions.pdf makes it zlib's default level (faster).
    import zlib

    import pydyf

    data = b"Article 7 - Participation financiere. " * 400
    stream = pydyf.Stream([data], compress=True).data
    assert b"\nstream\n" + zlib.compress(data) + b"\nendstream" in stream
    assert zlib.compress(data) != zlib.compress(data, 9)
    compressor = pydyf.zlib.compressobj(level=9)
    assert compressor.compress(data) + compressor.flush() == zlib.compress(data)


@pytest.mark.django_db
def test_a_text_that_never_went_through_its_check_is_refused_each_time_until_fixed():
    convention = complete_convention()
    template = ConventionTemplate.objects.get(school_year=convention.school_year)
    good = template.body
    # Saved around clean(), as a fixture or an old row would be.
    ConventionTemplate.objects.filter(pk=template.pk).update(
        body=good + '<p><img src="file:///etc/passwd"></p>'
    )

    for _ in range(2):  # the check is kept per text: refused the second time too
        with pytest.raises(ValidationError, match=r"ne peut pas être imprimé.*<img>"):
            preview(convention)

    ConventionTemplate.objects.filter(pk=template.pk).update(
        body=good.replace("</p>", " !</p>", 1)
    )
    assert "!" in pdf_text(preview(convention))
