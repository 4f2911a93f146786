from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from conventions.fees import Fee
from conventions.models import Convention
from tests.factories import ConventionFactory, SchoolYearFactory, TariffFactory, enroll

SEED_FEES = [
    ("12202", "2024-2025", 10, Decimal("45.00"), Decimal("450.00")),
    ("31118", "2022-2023", 3, Decimal("45.00"), Decimal("135.00")),
    ("11260", "2021-2022", 1, Decimal("50.00"), Decimal("50.00")),
    ("66049", "2026-2027", 4, Decimal("41.00"), Decimal("164.00")),
]


@pytest.mark.parametrize(("insee", "year", "count", "rate", "amount"), SEED_FEES)
def test_seed_fee_comes_out_exactly(seed_data, insee, year, count, rate, amount):
    convention = Convention.objects.get(commune__insee_code=insee, school_year__label=year)
    fee = convention.fee
    assert (fee.school_count, fee.rate, fee.amount) == (count, rate, amount)
    assert isinstance(fee.amount, Decimal)
    # The changelist computes it from annotations: same figures.
    annotated = Convention.objects.for_list().get(pk=convention.pk)
    assert annotated.fee == fee


def test_fee_reads_as_a_computation(seed_data):
    convention = Convention.objects.get(commune__insee_code="66049")
    assert str(convention.fee) == "4 écoles × 41,00\xa0€ = 164,00\xa0€"


def test_fee_is_rounded_once_to_the_cent():
    assert Fee(school_count=3, rate=Decimal("33.335")).amount == Decimal("100.01")
    assert Fee(school_count=0, rate=Decimal("41")).amount == Decimal("0.00")


def test_large_amounts_are_grouped_in_french():
    assert str(Fee(school_count=200, rate=Decimal("45"))) == (
        "200 écoles × 45,00\xa0€ = 9\xa0000,00\xa0€"
    )


@pytest.mark.django_db
def test_fee_without_tariff_is_a_clear_error():
    convention = ConventionFactory(school_year=SchoolYearFactory(label="2025-2026"))
    enroll(convention, 2)
    with pytest.raises(ValidationError) as error:
        convention.fee  # noqa: B018
    assert (
        "Aucun tarif n'est défini pour l'année 2025-2026 et l'académie de Toulouse"
        in (error.value.messages[0])
    )


@pytest.mark.django_db
def test_fee_follows_the_tariff_of_the_conventions_year_and_academie():
    convention = ConventionFactory()
    TariffFactory(school_year=convention.school_year, academie=convention.academie, rate=45)
    TariffFactory(
        school_year=SchoolYearFactory(label="2025-2026"), academie=convention.academie, rate=99
    )
    enroll(convention, 3)
    assert convention.fee.amount == Decimal("135.00")
