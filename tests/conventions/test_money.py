from decimal import Decimal

import pytest

from conventions.templatetags.money import euros, euros_in_words, euros_short


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("164"), "164,00\xa0€"),
        (Decimal("1234.5"), "1\xa0234,50\xa0€"),
        (Decimal("0"), "0,00\xa0€"),
    ],
)
def test_euros(value, expected):
    assert euros(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("41.00"), "41\xa0€"), (Decimal("164"), "164\xa0€"), (Decimal("45.5"), "45,50\xa0€")],
)
def test_euros_short_prints_like_the_conventions(value, expected):
    assert euros_short(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("164.00"), "cent soixante-quatre euros"),
        (Decimal("450"), "quatre cent cinquante euros"),
        (Decimal("1"), "un euro"),
        (Decimal("45.50"), "quarante-cinq euros et cinquante centimes"),
    ],
)
def test_amount_in_words(value, expected):
    assert euros_in_words(value) == expected
