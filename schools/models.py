import re
import unicodedata

from django.db import models

from communes.models import Commune
from schools.enums import (
    KIND_ABBREVIATIONS,
    SECTOR_ABBREVIATIONS,
    SchoolKind,
    SchoolStatus,
    Sector,
)
from schools.validators import validate_uai

# The annuaire names schools "Ecole primaire publique Cambon"; conventions print "CAMBON"
# after the "E.P.PU" abbreviation, so the generic prefix is dropped from the label.
GENERIC_PREFIX = re.compile(
    r"^[ée]cole\s+(maternelle|[ée]l[ée]mentaire|primaire)?\s*(publique|priv[ée]e)?\s*",
    re.IGNORECASE,
)


def printable(text):
    # Conventions print names in capitals without accents: "CERET", "CASTELNAU-D'ESTRETEFONDS".
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper().strip()


class SchoolQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=SchoolStatus.FERME)

    def with_label_relations(self):
        return self.select_related("commune__departement")


class SchoolManager(models.Manager.from_queryset(SchoolQuerySet)):
    def get_by_natural_key(self, uai):
        return self.get(uai=uai)


class School(models.Model):
    uai = models.CharField(
        "UAI", max_length=8, unique=True, validators=[validate_uai], help_text="« 0660560A »"
    )
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("type", max_length=12, choices=SchoolKind)
    sector = models.CharField("secteur", max_length=6, choices=Sector, default=Sector.PUBLIC)
    commune = models.ForeignKey(
        Commune, verbose_name="commune", on_delete=models.PROTECT, related_name="schools"
    )
    status = models.CharField(
        "état", max_length=10, choices=SchoolStatus, default=SchoolStatus.OUVERT
    )
    updated_at = models.DateTimeField("mise à jour", auto_now=True)

    objects = SchoolManager()

    class Meta:
        verbose_name = "école"
        verbose_name_plural = "écoles"
        ordering = ["commune__name", "name"]

    def __str__(self):
        return f"{self.name} ({self.uai})"

    def natural_key(self):
        return (self.uai,)

    @property
    def short_name(self):
        return GENERIC_PREFIX.sub("", self.name).strip() or self.name

    @property
    def abbreviation(self):
        return f"{KIND_ABBREVIATIONS[self.kind]}{SECTOR_ABBREVIATIONS[self.sector]}"

    def convention_label(self):
        commune = self.commune
        return " - ".join(
            [
                printable(commune.name),
                commune.departement.short_code,
                f"{self.abbreviation} {printable(self.short_name)}",
                self.uai,
            ]
        )
