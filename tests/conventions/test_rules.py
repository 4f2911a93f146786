import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from conventions.enums import ConventionStatus
from conventions.models import Convention, Enrollment, SchoolYear
from tests.factories import (
    CommuneFactory,
    ConventionFactory,
    SchoolFactory,
    SchoolYearFactory,
    enroll,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("label", "fragment"),
    [
        ("2026-2028", "2028 ne suit pas 2026"),
        ("2027-2026", "2026 ne suit pas 2027"),
        ("2026/2027", "s'écrit « 2026-2027 »"),
    ],
)
def test_school_year_whose_years_do_not_follow_is_refused(label, fragment):
    with pytest.raises(ValidationError) as error:
        SchoolYear(label=label).full_clean()
    assert fragment in str(error.value)


def test_school_enrolled_twice_in_the_same_year_is_refused_by_the_model():
    first = ConventionFactory()
    school = enroll(first, 1)[0]
    second = ConventionFactory(school_year=first.school_year)
    enrollment = Enrollment(convention=second, school=school)
    with pytest.raises(ValidationError) as error:
        enrollment.full_clean()
    assert f"L'école {school.uai} est déjà inscrite pour {first.school_year}" in str(error.value)
    # And by the database, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(convention=second, school=school, school_year=first.school_year)


def test_same_school_in_two_different_years_is_fine():
    first = ConventionFactory()
    school = enroll(first, 1)[0]
    other_year = ConventionFactory(
        commune=first.commune, school_year=SchoolYearFactory(label="2025-2026")
    )
    Enrollment(convention=other_year, school=school).full_clean()


def test_two_conventions_for_the_same_commune_and_year_are_refused():
    first = ConventionFactory()
    duplicate = Convention(
        collectivite=first.collectivite,
        commune=first.commune,
        school_year=first.school_year,
        academie=first.academie,
    )
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert error.value.message_dict["commune"] == [
        f"Une convention existe déjà pour {first.commune.name} en {first.school_year} "
        f"({first.reference}, brouillon) : modifiez-la, ou annulez-la avant d'en établir une "
        "autre."
    ]


def test_a_cancelled_convention_can_be_replaced_with_the_same_schools():
    first = ConventionFactory()
    schools = enroll(first, 2)
    first.transition_to(ConventionStatus.ANNULEE, reason="Erreur de SIRET")
    replacement = Convention(
        collectivite=first.collectivite,
        commune=first.commune,
        school_year=first.school_year,
        academie=first.academie,
        number=2,
        replaces=first,
    )
    replacement.full_clean()
    replacement.save()
    for school in schools:
        enrollment = Enrollment(convention=replacement, school=school)
        enrollment.full_clean()
        enrollment.save()
    assert replacement.get_school_count() == 2
    assert first.enrollments.count() == 2  # both stay on record


def test_school_outside_the_collectivites_communes_is_allowed_but_flagged():
    convention = ConventionFactory()
    inside = enroll(convention, 1)[0]
    outside = SchoolFactory(commune=CommuneFactory(departement=convention.commune.departement))
    enrollment = Enrollment(convention=convention, school=outside)
    enrollment.full_clean()
    enrollment.save()
    assert list(convention.schools_outside_communes()) == [outside]
    assert Convention.objects.for_list().get(pk=convention.pk).has_outside_school
    assert not Enrollment.objects.get(school=inside).outside_communes


def test_commune_of_another_academie_is_refused():
    convention = ConventionFactory.build()
    convention.commune = CommuneFactory()
    from tests.factories import AcademieFactory

    convention.academie = AcademieFactory(code="11", name="Montpellier")
    with pytest.raises(ValidationError) as error:
        convention.clean()
    assert "relève de l'académie de Toulouse, pas de l'académie de Montpellier" in str(error.value)
