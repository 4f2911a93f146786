from django.db import models


class SchoolKind(models.TextChoices):
    MATERNELLE = "maternelle", "maternelle"
    ELEMENTAIRE = "elementaire", "élémentaire"
    PRIMAIRE = "primaire", "primaire"


class Sector(models.TextChoices):
    PUBLIC = "public", "public"
    PRIVE = "prive", "privé"


class SchoolStatus(models.TextChoices):
    OUVERT = "ouvert", "ouverte"
    A_FERMER = "a_fermer", "à fermer"
    FERME = "ferme", "fermée"


# How the conventions abbreviate a school's kind and sector: "E.P.PU", "E.M.PR".
KIND_ABBREVIATIONS = {
    SchoolKind.MATERNELLE: "E.M.",
    SchoolKind.ELEMENTAIRE: "E.E.",
    SchoolKind.PRIMAIRE: "E.P.",
}
SECTOR_ABBREVIATIONS = {Sector.PUBLIC: "PU", Sector.PRIVE: "PR"}
# The sector's label says "secteur public"; after a school's kind it agrees with "école".
SECTOR_WITH_KIND = {Sector.PUBLIC: "publique", Sector.PRIVE: "privée"}
