from django.core.exceptions import ValidationError

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def uai_check_letter(digits):
    return UAI_LETTERS[int(digits) % 23]


def validate_uai(value):
    value = value or ""
    if len(value) != 8:
        raise ValidationError(
            "UAI « %(value)s » invalide : il compte 8 caractères (7 chiffres et une lettre), "
            "pas %(length)s.",
            code="uai_length",
            params={"value": value, "length": len(value)},
        )
    for position, char in enumerate(value[:7], start=1):
        if not char.isdigit():
            raise ValidationError(
                "UAI « %(value)s » invalide : le caractère « %(char)s » en position "
                "%(position)s devrait être un chiffre.",
                code="uai_format",
                params={"value": value, "char": char, "position": position},
            )
    expected = uai_check_letter(value[:7])
    if value[7] != expected:
        raise ValidationError(
            "UAI « %(value)s » invalide : la lettre de contrôle (8e caractère) devrait être "
            "« %(expected)s », pas « %(char)s ».",
            code="uai_checksum",
            params={"value": value, "expected": expected, "char": value[7]},
        )
