import pytest
from django.core.exceptions import ValidationError

from communes.validators import validate_siret

SEED_SIRETS = ["21120202300019", "21310118100013", "21660049400019"]


@pytest.mark.parametrize("siret", SEED_SIRETS)
def test_seed_siret_is_valid(siret):
    validate_siret(siret)


@pytest.mark.parametrize("siret", SEED_SIRETS)
def test_any_one_digit_change_is_refused(siret):
    for position in range(14):
        for digit in "0123456789":
            if digit == siret[position]:
                continue
            changed = siret[:position] + digit + siret[position + 1 :]
            with pytest.raises(ValidationError) as error:
                validate_siret(changed)
            assert "clé de contrôle" in error.value.messages[0]


def test_la_poste_exception_is_accepted():
    # La Poste's establishments fail the Luhn key but their digits sum to a multiple of 5.
    validate_siret("35600000000048")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2112020230001", "14 chiffres, il en a 13"),
        ("2112020230001X", "« X » en position 14"),
        ("2,17003E+13", "« , » en position 2"),
    ],
)
def test_malformed_siret_says_what_is_wrong(value, fragment):
    with pytest.raises(ValidationError) as error:
        validate_siret(value)
    assert fragment in error.value.messages[0]
