from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.fr import siret


def validate_siret(value):
    # python-stdnum knows both the Luhn key and La Poste's exception (SIREN 356000000,
    # whose establishments are checked on the sum of digits instead).
    compact = siret.compact(value or "")
    for position, char in enumerate(compact, start=1):
        if not char.isdigit():
            raise ValidationError(
                "SIRET « %(value)s » invalide : le caractère « %(char)s » en position "
                "%(position)s n'est pas un chiffre.",
                code="siret_format",
                params={"value": value, "char": char, "position": position},
            )
    try:
        siret.validate(compact)
    except InvalidLength:
        raise ValidationError(
            "SIRET « %(value)s » invalide : il doit compter 14 chiffres, il en a %(length)s.",
            code="siret_length",
            params={"value": value, "length": len(compact)},
        ) from None
    except InvalidChecksum:
        raise ValidationError(
            "SIRET « %(value)s » invalide : la clé de contrôle (Luhn) ne correspond pas ; "
            "un chiffre est erroné ou deux chiffres sont inversés.",
            code="siret_checksum",
            params={"value": value},
        ) from None
    except InvalidFormat:
        raise ValidationError(
            "SIRET « %(value)s » invalide.", code="siret_format", params={"value": value}
        ) from None


def split_emails(value):
    return [
        part.strip()
        for part in (value or "").replace(";", ",").replace("\n", ",").split(",")
        if part.strip()
    ]


def validate_email_list(value):
    for address in split_emails(value):
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                "Adresse e-mail invalide : « %(address)s ».",
                code="invalid_email",
                params={"address": address},
            ) from None
