import hashlib
import re
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from communes.history import AuditedHistory
from communes.models import Academie
from conventions.template_html import body_problems, refusal
from conventions.templatetags.money import euros


def hash_access_token(token):
    # Tokens carry 256 random bits, so a plain SHA-256 is enough: no salt or slow hash is
    # needed, and the database never holds a usable link.
    return hashlib.sha256(token.encode()).hexdigest()


def storages_private():
    # A callable, so that tests and deployments may point the private storage elsewhere.
    return storages["private"]


SCHOOL_YEAR_RE = re.compile(r"^(\d{4})-(\d{4})$")


def validate_school_year_label(value):
    match = SCHOOL_YEAR_RE.match(value or "")
    if not match:
        raise ValidationError(
            "Année scolaire « %(value)s » invalide : elle s'écrit « 2026-2027 ».",
            code="school_year_format",
            params={"value": value},
        )
    start, end = (int(part) for part in match.groups())
    if end != start + 1:
        raise ValidationError(
            "Année scolaire « %(value)s » invalide : %(end)s ne suit pas %(start)s "
            "(attendu « %(start)s-%(expected)s »).",
            code="school_year_sequence",
            params={"value": value, "start": start, "end": end, "expected": start + 1},
        )


# A school year starts on the 1st of September (the rentrée falls in its first days).
SCHOOL_YEAR_START_MONTH = 9


def school_year_label_on(day):
    """The label of the school year that `day` falls in, whether or not it is in the base."""
    start = day.year if day.month >= SCHOOL_YEAR_START_MONTH else day.year - 1
    return f"{start}-{start + 1}"


def current_school_year_label():
    return school_year_label_on(timezone.localdate())


class SchoolYearQuerySet(models.QuerySet):
    def started(self, label=None):
        """The years begun by now (or by the year `label`): labels sort as their years."""
        return self.filter(label__lte=label or current_school_year_label())

    def with_tariff(self):
        return self.filter(Exists(Tariff.objects.filter(school_year=OuterRef("pk"))))


class SchoolYearManager(models.Manager.from_queryset(SchoolYearQuerySet)):
    def get_by_natural_key(self, label):
        return self.get(label=label)


class SchoolYear(models.Model):
    label = models.CharField(
        "année scolaire",
        max_length=9,
        unique=True,
        validators=[validate_school_year_label],
        help_text="« 2026-2027 »",
    )
    end_date = models.DateField(
        "fin des conventions",
        null=True,
        blank=True,
        help_text="date à laquelle les conventions de l'année se terminent (ex. 5 septembre 2027)",
    )

    objects = SchoolYearManager()

    class Meta:
        verbose_name = "année scolaire"
        verbose_name_plural = "années scolaires"
        ordering = ["-label"]

    def __str__(self):
        return self.label

    def natural_key(self):
        return (self.label,)

    @property
    def start_year(self):
        return int(self.label[:4])

    @property
    def end_year(self):
        return int(self.label[5:])


def issued_conventions():
    # conventions.py imports this module: reach Convention through the registry.
    return apps.get_model("conventions", "Convention").objects.issued()


class YearAndAcademieQuerySet(models.QuerySet):
    def used_by_issued_conventions(self):
        # An issued convention printed its year's rate and signatory: those rows are kept.
        return self.filter(
            Exists(
                issued_conventions().filter(
                    school_year=OuterRef("school_year"), academie=OuterRef("academie")
                )
            )
        )


class YearAndAcademieManager(models.Manager.from_queryset(YearAndAcademieQuerySet)):
    """Natural key (school year label, académie code), shared by tariffs and signatories."""

    def get_by_natural_key(self, school_year, academie):
        return self.get(school_year__label=school_year, academie__code=academie)


class Tariff(models.Model):
    school_year = models.ForeignKey(
        SchoolYear, verbose_name="année scolaire", on_delete=models.PROTECT, related_name="tariffs"
    )
    academie = models.ForeignKey(
        Academie, verbose_name="académie", on_delete=models.PROTECT, related_name="tariffs"
    )
    rate = models.DecimalField(
        "tarif par école (€ TTC)",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    objects = YearAndAcademieManager()
    history = AuditedHistory()

    class Meta:
        verbose_name = "tarif"
        verbose_name_plural = "tarifs"
        ordering = ["-school_year__label", "academie__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_year", "academie"],
                name="one_tariff_per_year_and_academie",
                violation_error_message="Un tarif existe déjà pour cette année et cette académie.",
            )
        ]

    # Above this, a rate per school is a slip of the keyboard (46,50 € read as 4 650 €).
    MAX_RATE = Decimal("1000.00")

    def __str__(self):
        return f"{self.school_year} – {self.academie} : {euros(self.rate)} par école"

    def clean(self):
        if self.rate is None:
            return
        if self.rate <= 0:
            raise ValidationError(
                {"rate": "Le tarif par école doit être supérieur à 0 €."}, code="rate_not_positive"
            )
        if self.rate > self.MAX_RATE:
            raise ValidationError(
                {
                    "rate": (
                        f"Un tarif de {euros(self.rate)} par école n'est pas plausible (au plus "
                        f"{euros(self.MAX_RATE)}) : vérifiez la virgule des centimes."
                    )
                },
                code="rate_implausible",
            )

    def natural_key(self):
        return (self.school_year.label, self.academie.code)

    natural_key.dependencies = ["conventions.schoolyear", "communes.academie"]


class Signatory(models.Model):
    school_year = models.ForeignKey(
        SchoolYear,
        verbose_name="année scolaire",
        on_delete=models.PROTECT,
        related_name="signatories",
    )
    academie = models.ForeignKey(
        Academie, verbose_name="académie", on_delete=models.PROTECT, related_name="signatories"
    )
    name = models.CharField("nom", max_length=150, help_text="tel qu'imprimé : « Mostafa FOURAR »")
    title_lines = models.TextField(
        "qualité",
        help_text="une ligne par ligne imprimée : « Recteur de l'académie de Toulouse » …",
    )

    objects = YearAndAcademieManager()
    history = AuditedHistory()

    class Meta:
        verbose_name = "signataire de l'académie"
        verbose_name_plural = "signataires des académies"
        ordering = ["-school_year__label", "academie__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_year", "academie"],
                name="one_signatory_per_year_and_academie",
                violation_error_message=(
                    "Un signataire existe déjà pour cette année et cette académie."
                ),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.academie}, {self.school_year})"

    def natural_key(self):
        return (self.school_year.label, self.academie.code)

    natural_key.dependencies = ["conventions.schoolyear", "communes.academie"]

    @property
    def titles(self):
        return [line.strip() for line in self.title_lines.splitlines() if line.strip()]


class ConventionTemplateQuerySet(models.QuerySet):
    def used_by_issued_conventions(self):
        return self.filter(Exists(issued_conventions().filter(issued_template=OuterRef("pk"))))


class ConventionTemplateManager(models.Manager.from_queryset(ConventionTemplateQuerySet)):
    def get_by_natural_key(self, school_year, academie):
        if not academie:
            return self.get(school_year__label=school_year, academie__isnull=True)
        return self.get(school_year__label=school_year, academie__code=academie)

    def for_convention(self, convention):
        # The most specific text wins: the académie's own, else the one for every académie.
        candidates = self.filter(school_year=convention.school_year_id).filter(
            Q(academie=convention.academie_id) | Q(academie__isnull=True)
        )
        return sorted(candidates, key=lambda template: template.academie_id is None)[:1]


class ConventionTemplate(models.Model):
    school_year = models.ForeignKey(
        SchoolYear,
        verbose_name="année scolaire",
        on_delete=models.PROTECT,
        related_name="convention_templates",
    )
    academie = models.ForeignKey(
        Academie,
        verbose_name="académie",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="convention_templates",
        help_text="laisser vide pour un texte valable dans les deux académies",
    )
    name = models.CharField("nom", max_length=200)
    body = models.TextField(
        "texte",
        help_text="gabarit Django produisant le corps HTML de la convention (voir les variables "
        "disponibles sous le champ)",
    )

    objects = ConventionTemplateManager()
    history = AuditedHistory()

    class Meta:
        verbose_name = "modèle de convention"
        verbose_name_plural = "modèles de convention"
        ordering = ["-school_year__label", "academie__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_year", "academie"],
                name="one_template_per_year_and_academie",
                violation_error_message=(
                    "Un modèle existe déjà pour cette année et cette académie."
                ),
            ),
            # NULL never equals NULL in a unique index: guard "every académie" separately.
            models.UniqueConstraint(
                fields=["school_year"],
                condition=Q(academie__isnull=True),
                name="one_generic_template_per_year",
                violation_error_message=(
                    "Un modèle valable pour toutes les académies existe déjà pour cette année."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.school_year}, {self.academie or 'toutes académies'})"

    def natural_key(self):
        return (self.school_year.label, self.academie.code if self.academie_id else "")

    natural_key.dependencies = ["conventions.schoolyear", "communes.academie"]

    def duplicate_for_next_year(self):
        """A copy for the following school year, for staff to edit: next year's text."""
        start = self.school_year.start_year + 1
        next_year, _ = SchoolYear.objects.get_or_create(label=f"{start}-{start + 1}")
        if ConventionTemplate.objects.filter(
            school_year=next_year, academie=self.academie_id
        ).exists():
            raise ValidationError(
                "Un modèle existe déjà pour %(year)s (%(academie)s) : modifiez-le plutôt.",
                code="template_exists",
                params={"year": next_year, "academie": self.academie or "toutes académies"},
            )
        return ConventionTemplate.objects.create(
            school_year=next_year,
            academie=self.academie,
            name=self.name.replace(self.school_year.label, next_year.label),
            body=self.body,
        )

    def clean(self):
        from django.template import Engine, TemplateSyntaxError

        try:
            Engine.get_default().from_string(self.body or "")
        except TemplateSyntaxError as error:
            raise ValidationError(
                {"body": f"Le texte contient une erreur de gabarit : {error}"}
            ) from error
        if problems := body_problems(self.body or ""):
            raise ValidationError({"body": refusal(problems)})


# Written once by issuing (conventions/issuing.py): the figures, labels and file printed.
