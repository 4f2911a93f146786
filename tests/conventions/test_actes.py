import datetime

import pytest
from django.core.exceptions import ValidationError

from conventions.validators import validate_act_identifier

SIREN = "216600494"


def test_valid_identifier_is_returned_uppercase():
    assert (
        validate_act_identifier(
            " 066-216600494-20260603-dcm1212026-de ",
            siren=SIREN,
            act_date=datetime.date(2026, 6, 3),
        )
        == "066-216600494-20260603-DCM1212026-DE"
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "actes_format"),
        ("066-21660049-20260603-DCM1212026-DE", "actes_format"),
        ("066-216600494-2026063-DCM1212026-DE", "actes_format"),
        ("066-216600494-20260603-DCM 1212026-DE", "actes_format"),
        ("066-216600494-20260603-DCM1212026-DEL", "actes_format"),
        ("066/216600494/20260603/DCM1212026/DE", "actes_format"),
        ("066-213101181-20260603-DCM1212026-DE", "actes_siren"),
        ("066-216600494-20261303-DCM1212026-DE", "actes_date_format"),
        ("066-216600494-20260602-DCM1212026-DE", "actes_date"),
        ("999-216600494-20260603-DCM1212026-DE", "actes_departement"),
        ("031-216600494-20260603-DCM1212026-DE", "actes_departement"),
        ("066-216600494-20260603-DCM1212026-ZZ", "actes_nature"),
    ],
)
def test_bad_identifiers_are_refused(value, code):
    with pytest.raises(ValidationError) as error:
        validate_act_identifier(
            value, siren=SIREN, departement="066", act_date=datetime.date(2026, 6, 3)
        )
    assert error.value.code == code
    assert error.value.messages[0].startswith("Identifiant @ctes")


@pytest.mark.parametrize("nature", ["DE", "AR", "AI", "CC", "BF", "AU"])
def test_every_actes_nature_is_accepted(nature):
    assert validate_act_identifier(
        f"066-216600494-20260603-DCM1212026-{nature}", siren=SIREN, departement="066"
    ).endswith(nature)


def test_unknown_nature_message_lists_the_natures():
    with pytest.raises(ValidationError) as error:
        validate_act_identifier("066-216600494-20260603-1-ZZ", siren=SIREN, departement="066")
    assert "la nature ZZ n'existe pas dans @ctes" in error.value.messages[0]
    assert "DE délibération" in error.value.messages[0]
