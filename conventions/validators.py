import re
from datetime import date

from django.core.exceptions import ValidationError

# @ctes (the State's channel for local authorities' acts) numbers every act
# DDD-SIREN-YYYYMMDD-NUMBER-NATURE: département, SIREN of the authority, date of the act,
# the authority's own number, and the nature.
ACTES_NATURES = {
    "DE": "délibération",
    "AR": "arrêté réglementaire",
    "AI": "arrêté individuel",
    "CC": "contrat, convention ou avenant",
    "BF": "document budgétaire ou financier",
    "AU": "autre acte",
}
ACTES_RE = re.compile(
    r"^(?P<departement>\d{3}|02[AB])-(?P<siren>\d{9})-(?P<date>\d{8})"
    r"-(?P<number>[A-Z0-9_]{1,15})-(?P<nature>[A-Z]{2})$"
)
ACTES_EXAMPLE = "066-216600494-20260603-DCM1212026-DE"


def validate_act_identifier(value, *, siren, departement=None, act_date=None):
    """Check an @ctes identifier against the collectivité's département (its 3-character
    code, as @ctes writes it: "066", "02A"), SIREN and the act's date."""
    identifier = (value or "").strip().upper()
    match = ACTES_RE.match(identifier)
    if not match:
        raise ValidationError(
            "Identifiant @ctes « %(value)s » invalide : il s'écrit "
            "DÉPARTEMENT-SIREN-AAAAMMJJ-NUMÉRO-NATURE, par exemple « %(example)s ».",
            code="actes_format",
            params={"value": value, "example": ACTES_EXAMPLE},
        )
    if departement is not None and match["departement"] != departement:
        raise ValidationError(
            "Identifiant @ctes « %(value)s » : le département %(found)s n'est pas celui de la "
            "collectivité (%(expected)s).",
            code="actes_departement",
            params={"value": identifier, "found": match["departement"], "expected": departement},
        )
    if match["siren"] != siren:
        raise ValidationError(
            "Identifiant @ctes « %(value)s » : le SIREN %(found)s n'est pas celui de la "
            "collectivité (%(expected)s).",
            code="actes_siren",
            params={"value": identifier, "found": match["siren"], "expected": siren},
        )
    if match["nature"] not in ACTES_NATURES:
        raise ValidationError(
            "Identifiant @ctes « %(value)s » : la nature %(found)s n'existe pas dans @ctes "
            "(%(natures)s).",
            code="actes_nature",
            params={
                "value": identifier,
                "found": match["nature"],
                "natures": ", ".join(f"{code} {label}" for code, label in ACTES_NATURES.items()),
            },
        )
    raw = match["date"]
    try:
        identified = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        raise ValidationError(
            "Identifiant @ctes « %(value)s » : %(raw)s n'est pas une date (AAAAMMJJ).",
            code="actes_date_format",
            params={"value": identifier, "raw": raw},
        ) from None
    if act_date is not None and identified != act_date:
        raise ValidationError(
            "Identifiant @ctes « %(value)s » : la date %(found)s ne correspond pas à la date "
            "de l'acte saisie (%(expected)s).",
            code="actes_date",
            params={
                "value": identifier,
                "found": identified.strftime("%d/%m/%Y"),
                "expected": act_date.strftime("%d/%m/%Y"),
            },
        )
    return identifier
