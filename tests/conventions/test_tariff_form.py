"""The tariff's form reads a rate the French way and refuses one that cannot be a price per
school."""

from decimal import Decimal

import pytest

from conventions.admin.reference import TariffForm
from tests.factories import AcademieFactory, SchoolYearFactory

pytestmark = pytest.mark.django_db


def form(rate):
    return TariffForm(
        {"school_year": SchoolYearFactory().pk, "academie": AcademieFactory().pk, "rate": rate}
    )


@pytest.mark.parametrize("typed", ["46,50", "46.50", "46,5", " 46,50 "])
def test_comma_or_point(typed):
    tariff = form(typed)
    assert tariff.is_valid(), tariff.errors
    assert tariff.cleaned_data["rate"] == Decimal("46.50")


def test_the_input_is_text_for_a_decimal_keyboard():
    html = str(form("46,50")["rate"])
    assert 'type="text"' in html
    assert 'inputmode="decimal"' in html


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("0", "Le tarif par école doit être supérieur à 0 €."),
        ("-3", "Le tarif par école doit être supérieur à 0 €."),
        (
            "1000,01",
            "Un tarif de 1\xa0000,01\xa0€ par école n'est pas plausible (au plus "
            "1\xa0000,00\xa0€) : vérifiez la virgule des centimes.",
        ),
    ],
)
def test_implausible_rates_are_refused(typed, error):
    tariff = form(typed)
    assert not tariff.is_valid()
    assert error in tariff.errors["rate"]


def test_a_thousand_euros_is_the_highest_rate_accepted():
    assert form("1000").is_valid()
