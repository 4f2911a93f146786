import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from conventions.enums import ConventionStatus
from conventions.issuing import cancel_and_replace, issue, issued_pdf
from conventions.models import Convention, ConventionTemplate, Signatory, Tariff
from schools.models import School
from tests.factories import complete_convention
from tests.pdf import pdf_text


@pytest.fixture
def issued(db):
    convention = complete_convention(school_count=2, rate=Decimal("45.00"))
    return issue(convention)


def test_issuing_freezes_the_figures_and_stores_the_pdf(issued, private_storage):
    labels = sorted(s.convention_label() for s in issued.schools.all())

    assert issued.status == ConventionStatus.EMISE
    assert issued.issued_at is not None
    assert (issued.issued_rate, issued.issued_school_count, issued.issued_amount) == (
        Decimal("45.00"),
        2,
        Decimal("90.00"),
    )
    assert sorted(issued.issued_school_labels) == labels
    assert issued.issued_signatory_name == "Carole Drucker-Godard"
    assert issued.issued_template == ConventionTemplate.objects.get()
    assert private_storage.exists(issued.pdf.name)
    content = issued_pdf(issued)
    assert hashlib.sha256(content).hexdigest() == issued.pdf_sha256
    text = pdf_text(content)
    assert "PROJET" not in text
    assert "2 x 45 € soit 90 €" in text


def test_later_changes_never_alter_an_issued_document(issued):
    before = issued_pdf(issued)
    sha = issued.pdf_sha256

    ConventionTemplate.objects.update(body="<p>Nouveau texte {{ school_year }}</p>")
    Tariff.objects.update(rate=Decimal("99.00"))
    School.objects.update(name="ECOLE RENOMMEE")
    Signatory.objects.update(name="Quelqu'un d'autre", title_lines="Autre qualité")

    again = Convention.objects.get(pk=issued.pk)
    assert again.pdf_sha256 == sha
    assert issued_pdf(again) == before
    assert again.fee.amount == Decimal("90.00")
    assert str(again.fee) == "2 écoles × 45,00\u00a0€ = 90,00\u00a0€"


def test_the_orm_refuses_to_change_what_was_issued(issued):
    issued.issued_amount = Decimal("1.00")
    with pytest.raises(ValidationError, match="montant émis"):
        issued.save()
    with pytest.raises(ValidationError, match="montant émis"):
        issued.full_clean()
    with pytest.raises(ValidationError, match="issued_amount"):
        Convention.objects.filter(pk=issued.pk).update(issued_amount=Decimal("1.00"))

    assert Convention.objects.get(pk=issued.pk).issued_amount == Decimal("90.00")


def test_an_issued_convention_cannot_be_issued_again(issued):
    with pytest.raises(ValidationError, match="déjà émise"):
        issue(issued)


def test_an_incomplete_convention_is_not_issued_and_nothing_is_stored(db, private_storage):
    convention = complete_convention()
    Tariff.objects.all().delete()

    with pytest.raises(ValidationError, match="aucun tarif"):
        issue(convention)

    convention.refresh_from_db()
    assert convention.status == ConventionStatus.BROUILLON
    assert convention.issued_amount is None
    assert not convention.pdf
    assert not private_storage.exists("conventions")


def test_cancel_and_replace_keeps_both_on_record(issued):
    replacement = cancel_and_replace(issued, "erreur sur le nombre d'écoles")

    issued.refresh_from_db()
    assert issued.status == ConventionStatus.ANNULEE
    assert issued.cancel_reason == "erreur sur le nombre d'écoles"
    assert issued.pdf_sha256  # the cancelled document stays on record
    assert replacement.status == ConventionStatus.BROUILLON
    assert replacement.replaces == issued
    assert replacement.number == issued.number + 1
    assert replacement.reference.endswith("-02")
    assert set(replacement.schools.all()) == set(issued.schools.all())
    assert issue(replacement).issued_amount == Decimal("90.00")


def test_cancel_needs_a_reason(issued):
    with pytest.raises(ValidationError, match="motif"):
        cancel_and_replace(issued, "  ")
    assert Convention.objects.count() == 1


def test_an_issued_conventions_schools_cannot_change(issued):
    from conventions.models import Enrollment
    from tests.factories import SchoolFactory

    enrollment = Enrollment(
        convention=issued, school=SchoolFactory(commune=issued.commune), school_year_id=None
    )
    with pytest.raises(ValidationError, match="ses écoles ne peuvent plus changer"):
        enrollment.full_clean()
