import re
import unicodedata

from django.db import models

from communes.history import AuditedHistory
from communes.models import Commune
from schools.enums import (
    KIND_ABBREVIATIONS,
    SECTOR_ABBREVIATIONS,
    SECTOR_WITH_KIND,
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


# Some annuaire names are only generic ("Ecole primaire"): the rectorat's lists then print the
# school's locality, from its address when that names a place ("Hameau de Mathaly"), else the
# commune. A line names no place when it is a street address or the village centre itself.
STREET = re.compile(
    r"^(\d|(rue|r|avenue|av|boulevard|bd|place|pl|route|rte|chemin|ch|all[ée]e|impasse|imp|"
    r"passage|square|sq|cours|quai|esplanade|espace|lotissement|lot|r[ée]sidence|cit[ée]|"
    r"mont[ée]e|traverse|voie|sentier|parvis|promenade|faubourg|carrefour|rond-point)\b)",
    re.IGNORECASE,
)
NO_PLACE = {"BOURG", "LE BOURG", "LEBOURG", "AU BOURG", "VILLAGE", "LE VILLAGE", "AU VILLAGE"}
LIEU_DIT_PREFIX = re.compile(r"^lieu[- ]dit\s+", re.IGNORECASE)


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
    address = models.TextField(
        "adresse", blank=True, help_text="lignes d'adresse de l'annuaire (Adresse_1, Adresse_2)"
    )
    printed_name = models.CharField(
        "libellé imprimé",
        max_length=200,
        blank=True,
        help_text="nom imprimé dans les conventions après « E.P.PU », à la place de celui de "
        "l'annuaire ; les imports de l'annuaire ne le modifient pas",
    )
    updated_at = models.DateTimeField("mise à jour", auto_now=True)

    objects = SchoolManager()
    history = AuditedHistory()

    class Meta:
        verbose_name = "école"
        verbose_name_plural = "écoles"
        ordering = ["commune__name", "name"]

    def __str__(self):
        return f"{self.name} ({self.uai})"

    def natural_key(self):
        return (self.uai,)

    # Kind and sector side by side agree with "école": "maternelle publique".
    @property
    def kind_and_sector(self):
        return f"{self.get_kind_display()} {SECTOR_WITH_KIND[self.sector]}"

    @property
    def abbreviation(self):
        return f"{KIND_ABBREVIATIONS[self.kind]}{SECTOR_ABBREVIATIONS[self.sector]}"

    def locality(self):
        for line in self.address.splitlines():
            place = printable(LIEU_DIT_PREFIX.sub("", line.strip()))
            if place and not STREET.match(place) and place not in NO_PLACE:
                return place
        return printable(self.commune.name)

    def printed(self):
        """The name after "E.P.PU": staff's printed name, the annuaire's, or the locality."""
        if self.printed_name.strip():
            return printable(self.printed_name)
        own_name = GENERIC_PREFIX.sub("", self.name).strip()
        return printable(own_name) if own_name else self.locality()

    def convention_label(self):
        commune = self.commune
        return " - ".join(
            [
                printable(commune.name),
                commune.departement.short_code,
                f"{self.abbreviation} {self.printed()}",
                self.uai,
            ]
        )
