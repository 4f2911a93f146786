import pytest
from django.core.exceptions import ValidationError

from schools.validators import UAI_LETTERS, validate_uai
from tests.seeds import seed_uais

SEED_UAIS = seed_uais()


def test_the_seeds_print_every_school_of_the_four_conventions():
    assert len(SEED_UAIS) == 18
    assert {"0120595G", "0121071Z", "0110422Z", "0312962B", "0660560A"} <= set(SEED_UAIS)


@pytest.mark.parametrize("uai", SEED_UAIS)
def test_seed_uai_is_valid(uai):
    validate_uai(uai)


@pytest.mark.parametrize("uai", SEED_UAIS)
def test_every_other_check_letter_is_refused(uai):
    for letter in UAI_LETTERS.replace(uai[7], ""):
        with pytest.raises(ValidationError) as error:
            validate_uai(uai[:7] + letter)
        message = error.value.messages[0]
        assert f"devrait être « {uai[7]} », pas « {letter} »" in message


@pytest.mark.parametrize("uai", SEED_UAIS)
def test_a_changed_digit_is_refused(uai):
    digit = "1" if uai[3] != "1" else "2"
    with pytest.raises(ValidationError):
        validate_uai(uai[:3] + digit + uai[4:])


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("820178Y", "8 caractères"),
        ("08201X8Y", "« X » en position 6 devrait être un chiffre"),
        ("", "8 caractères"),
    ],
)
def test_malformed_uai_says_what_is_wrong(value, fragment):
    with pytest.raises(ValidationError) as error:
        validate_uai(value)
    assert fragment in error.value.messages[0]
