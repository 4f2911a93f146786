import hashlib
import re
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from communes.models import Academie, Collectivite, Commune
from conventions.enums import STATUS_DATE_FIELDS, TRANSITIONS, ConventionStatus, TitreStatus
from conventions.fees import Fee
from schools.models import School


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


class SchoolYearManager(models.Manager):
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


class YearAndAcademieManager(models.Manager):
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

    def __str__(self):
        return f"{self.school_year} – {self.academie} : {self.rate} € par école"

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


class ConventionTemplateManager(models.Manager):
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


# Written once by issuing (conventions/issuing.py): the figures, labels and file printed.
SNAPSHOT_FIELDS = (
    "issued_rate",
    "issued_school_count",
    "issued_amount",
    "issued_school_labels",
    "issued_signatory_name",
    "issued_signatory_titles",
    "issued_template",
    "pdf",
    "pdf_sha256",
)
# What an issued convention printed. Once issued these never change: a mistake is
# corrected by cancelling and issuing a replacement.
FROZEN_FIELDS = (
    "collectivite",
    "commune",
    "school_year",
    "academie",
    "document_date",
    *SNAPSHOT_FIELDS,
)


def frozen_error(fields):
    return ValidationError(
        "Convention émise : %(fields)s ne peu(ven)t plus être modifié(s). Annulez-la et "
        "émettez une convention de remplacement.",
        code="frozen",
        params={"fields": ", ".join(fields)},
    )


class ConventionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # The bulk path of the ORM skips save(): refuse it on issued rows as well.
        frozen = sorted(set(kwargs) & {*FROZEN_FIELDS, *(f"{f}_id" for f in FROZEN_FIELDS)})
        if frozen and self.filter(issued_amount__isnull=False).exists():
            raise frozen_error(frozen)
        return super().update(**kwargs)

    def issued(self):
        return self.filter(issued_amount__isnull=False)

    def active(self):
        return self.exclude(status=ConventionStatus.ANNULEE)

    def with_fee(self):
        rate = (
            Tariff.objects.filter(
                school_year=OuterRef("school_year"), academie=OuterRef("academie")
            )
            .order_by()
            .values("rate")[:1]
        )
        # Subqueries rather than a GROUP BY: the changelist's COUNT(*) can then drop them.
        count = (
            Enrollment.objects.filter(convention=OuterRef("pk"))
            .order_by()
            .values("convention")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return self.annotate(
            school_count=Coalesce(Subquery(count), 0),
            tariff_rate=Subquery(rate),
        )

    def with_outside_flag(self):
        covered = Collectivite.communes.through.objects.filter(
            collectivite=OuterRef(OuterRef("collectivite")), commune=OuterRef("school__commune")
        )
        outside = Enrollment.objects.filter(convention=OuterRef("pk")).filter(~Exists(covered))
        return self.annotate(has_outside_school=Exists(outside))

    def with_access_token(self, token):
        # The URL converter bounds the length; anything else simply matches no row.
        return self.filter(access_token_hash=hash_access_token(token)).exclude(
            status=ConventionStatus.BROUILLON
        )

    def revoke_access_links(self):
        return self.exclude(access_token_hash=None).update(access_token_hash=None)

    def for_list(self):
        return (
            self.select_related("collectivite", "commune", "school_year", "academie")
            .with_fee()
            .with_outside_flag()
        )

    def billable(self):
        # Signed by both parties and without a live titre. A convention whose titre was
        # cancelled stays "facturée" and may be billed again under a new number.
        live_titre = Titre.objects.filter(convention=OuterRef("pk")).exclude(
            status=TitreStatus.ANNULE
        )
        return self.filter(
            status__in=[ConventionStatus.SIGNEE_ACADEMIE, ConventionStatus.FACTUREE]
        ).exclude(Exists(live_titre))


class ConventionManager(models.Manager.from_queryset(ConventionQuerySet)):
    def get_by_natural_key(self, insee_code, school_year, number):
        return self.get(
            commune__insee_code=insee_code, school_year__label=school_year, number=number
        )


class Convention(models.Model):
    collectivite = models.ForeignKey(
        Collectivite,
        verbose_name="collectivité",
        on_delete=models.PROTECT,
        related_name="conventions",
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name="commune couverte",
        on_delete=models.PROTECT,
        related_name="conventions",
        help_text="un regroupement signe une convention par commune",
    )
    school_year = models.ForeignKey(
        SchoolYear,
        verbose_name="année scolaire",
        on_delete=models.PROTECT,
        related_name="conventions",
    )
    academie = models.ForeignKey(
        Academie, verbose_name="académie", on_delete=models.PROTECT, related_name="conventions"
    )
    # 1 for the first convention of a commune and year, 2 for its replacement, and so on.
    number = models.PositiveSmallIntegerField("numéro", default=1, editable=False)
    schools = models.ManyToManyField(
        School,
        through="Enrollment",
        verbose_name="écoles inscrites",
        related_name="conventions",
    )
    status = models.CharField(
        "statut",
        max_length=20,
        choices=ConventionStatus,
        default=ConventionStatus.BROUILLON,
        editable=False,
    )
    document_date = models.DateField(
        "date de la convention",
        null=True,
        blank=True,
        help_text="date imprimée en tête et au lieu de signature (« le 21 mai 2026 »)",
    )
    replaces = models.OneToOneField(
        "self",
        verbose_name="remplace",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    issued_at = models.DateTimeField("émise le", null=True, blank=True, editable=False)
    sent_at = models.DateTimeField("envoyée le", null=True, blank=True, editable=False)
    signed_by_collectivite_at = models.DateTimeField(
        "signée par la collectivité le", null=True, blank=True, editable=False
    )
    signed_by_academie_at = models.DateTimeField(
        "signée par l'académie le", null=True, blank=True, editable=False
    )
    invoiced_at = models.DateTimeField("facturée le", null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField("annulée le", null=True, blank=True, editable=False)
    cancel_reason = models.TextField("motif d'annulation", blank=True, editable=False)

    # Frozen when the convention is issued: later changes of rate, school names, signatory
    # or template never alter an issued document.
    issued_rate = models.DecimalField(
        "tarif émis (€ TTC)", max_digits=10, decimal_places=2, null=True, editable=False
    )
    issued_school_count = models.PositiveIntegerField(
        "nombre d'écoles émis", null=True, editable=False
    )
    issued_amount = models.DecimalField(
        "montant émis (€ TTC)", max_digits=10, decimal_places=2, null=True, editable=False
    )
    issued_school_labels = models.JSONField(
        "écoles telles qu'imprimées", default=list, blank=True, editable=False
    )
    issued_signatory_name = models.CharField(
        "signataire imprimé", max_length=150, blank=True, editable=False
    )
    issued_signatory_titles = models.TextField(
        "qualité du signataire imprimée", blank=True, editable=False
    )
    pdf = models.FileField(
        "PDF émis",
        storage=storages_private,
        upload_to="conventions/",
        blank=True,
        editable=False,
    )
    pdf_sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True, editable=False)
    issued_template = models.ForeignKey(
        ConventionTemplate,
        verbose_name="modèle utilisé",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_conventions",
        editable=False,
    )

    # The private link sent to the mairie: only its hash is kept, so the link is shown once
    # (in the e-mail) and a copy of the database gives no access. Null when revoked.
    access_token_hash = models.CharField(
        "empreinte du lien privé", max_length=64, unique=True, null=True, editable=False
    )
    link_created_at = models.DateTimeField("lien créé le", null=True, blank=True, editable=False)
    link_sent_at = models.DateTimeField("lien envoyé le", null=True, blank=True, editable=False)

    # The copy signed by the collectivité, sent back through the private link.
    signed_pdf = models.FileField(
        "convention signée par la collectivité",
        storage=storages_private,
        upload_to="signees/",
        blank=True,
        editable=False,
    )
    act_date = models.DateField("date de l'acte", null=True, blank=True, editable=False)
    act_identifier = models.CharField(
        "identifiant @ctes", max_length=60, blank=True, editable=False
    )
    signed_uploaded_at = models.DateTimeField(
        "convention signée déposée le", null=True, blank=True, editable=False
    )

    objects = ConventionManager()

    class Meta:
        verbose_name = "convention"
        verbose_name_plural = "conventions"
        ordering = ["-school_year__label", "commune__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "school_year"],
                condition=~Q(status="annulee"),
                name="one_live_convention_per_commune_and_year",
                violation_error_message=(
                    "Cette commune a déjà une convention en cours pour cette année scolaire ; "
                    "annulez-la avant d'en établir une autre."
                ),
            ),
            models.UniqueConstraint(
                fields=["commune", "school_year", "number"],
                name="unique_convention_number",
            ),
        ]

    def __str__(self):
        return f"Convention {self.school_year} – {self.commune.name} ({self.collectivite})"

    def save(self, *args, **kwargs):
        # Not business logic: a last barrier so that no code path (shell, script, a future
        # view) can rewrite what an issued document printed. Issuing itself writes these
        # fields while the stored row is still a draft, which this lets through.
        if changed := self.frozen_changes():
            raise frozen_error(changed)
        super().save(*args, **kwargs)

    def natural_key(self):
        return (self.commune.insee_code, self.school_year.label, self.number)

    natural_key.dependencies = ["communes.commune", "conventions.schoolyear"]

    @property
    def reference(self):
        # Stable and readable: year, académie, INSEE code, and the rank of replacements.
        return (
            f"ENT-{self.school_year.label}-{self.academie.code}-{self.commune.insee_code}"
            f"-{self.number:02d}"
        )

    def frozen_changes(self):
        """Names of the frozen fields this instance would change on an issued row."""
        if not self.pk:
            return []
        stored = Convention.objects.filter(pk=self.pk, issued_amount__isnull=False).first()
        if stored is None:
            return []
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in FROZEN_FIELDS
            if self._meta.get_field(name).value_from_object(self)
            != self._meta.get_field(name).value_from_object(stored)
        ]

    def clean(self):
        if changed := self.frozen_changes():
            raise frozen_error(changed)
        errors = {}
        if (
            self.commune_id
            and self.academie_id
            and self.commune.departement.academie_id != self.academie_id
        ):
            errors["academie"] = (
                f"La commune {self.commune.name} relève de "
                f"l'{self.commune.departement.academie}, pas de l'{self.academie}."
            )
        if self.pk and self.school_year_id:
            previous = Convention.objects.filter(pk=self.pk).values_list(
                "school_year_id", flat=True
            )
            if previous and previous[0] != self.school_year_id and self.enrollments.exists():
                errors["school_year"] = (
                    "Retirez d'abord les écoles inscrites avant de changer l'année scolaire."
                )
        if errors:
            raise ValidationError(errors)

    # The fee ---------------------------------------------------------------------------

    def get_rate(self):
        rate = getattr(self, "tariff_rate", None)
        if rate is None and not hasattr(self, "tariff_rate"):
            rate = (
                Tariff.objects.filter(school_year=self.school_year_id, academie=self.academie_id)
                .values_list("rate", flat=True)
                .first()
            )
        if rate is None:
            raise ValidationError(
                "Aucun tarif n'est défini pour l'année %(year)s et l'%(academie)s : "
                "ajoutez-le dans « Tarifs » avant de calculer la participation.",
                code="missing_tariff",
                params={"year": self.school_year, "academie": self.academie},
            )
        return rate

    def get_school_count(self):
        count = getattr(self, "school_count", None)
        if count is None:
            count = self.enrollments.count() if self.pk else 0
        return count

    @property
    def is_issued(self):
        return self.issued_amount is not None

    @property
    def fee(self):
        if self.is_issued:
            return Fee(school_count=self.issued_school_count, rate=self.issued_rate)
        return Fee(school_count=self.get_school_count(), rate=self.get_rate())

    # Private link ----------------------------------------------------------------------

    def new_access_link(self):
        """Make a fresh private link (the previous one stops working); returns its token."""
        if not self.is_issued or self.status == ConventionStatus.ANNULEE:
            raise ValidationError(
                "Seule une convention émise et non annulée peut recevoir un lien privé.",
                code="link_not_issued",
            )
        token = secrets.token_urlsafe(32)
        self.access_token_hash = hash_access_token(token)
        self.link_created_at = timezone.now()
        self.save(update_fields=["access_token_hash", "link_created_at"])
        return token

    def revoke_access_link(self):
        self.access_token_hash = None
        self.save(update_fields=["access_token_hash"])

    @property
    def has_access_link(self):
        return self.access_token_hash is not None

    def school_rows(self):
        """(label, UAI) of the enrolled schools, as printed once the convention is issued."""
        if self.is_issued:
            labels = self.issued_school_labels
        else:
            labels = [
                enrollment.school.convention_label()
                for enrollment in self.enrollments.select_related("school__commune__departement")
            ]
        # Labels end with " - <UAI>" (School.convention_label).
        return [
            tuple(label.rsplit(" - ", 1)) if " - " in label else (label, "") for label in labels
        ]

    def portal_filename(self):
        return f"convention-ent-ecole-{self.school_year.label}-{slugify(self.commune.name)}.pdf"

    def can_receive_signed_copy(self):
        return self.can_transition_to(ConventionStatus.SIGNEE_COLLECTIVITE)

    # Schools ---------------------------------------------------------------------------

    def schools_outside_communes(self):
        covered = self.collectivite.communes.values("pk")
        return self.schools.exclude(commune__in=covered)

    # Life ------------------------------------------------------------------------------

    def can_transition_to(self, status):
        return status in TRANSITIONS[ConventionStatus(self.status)]

    def transition_to(self, status, *, reason="", at=None):
        status = ConventionStatus(status)
        if not self.can_transition_to(status):
            raise ValidationError(
                "Passage impossible du statut « %(current)s » au statut « %(target)s ».",
                code="illegal_transition",
                params={
                    "current": ConventionStatus(self.status).label,
                    "target": status.label,
                },
            )
        if status == ConventionStatus.ANNULEE and not reason.strip():
            raise ValidationError(
                "Indiquez le motif de l'annulation.", code="missing_cancel_reason"
            )
        with transaction.atomic():
            # Lock the row so that two agents cannot move the same convention at once.
            current = Convention.objects.select_for_update().get(pk=self.pk)
            if current.status != self.status:
                raise ValidationError(
                    "La convention a changé de statut entre-temps (« %(current)s ») ; "
                    "rechargez la page.",
                    code="stale_status",
                    params={"current": current.get_status_display()},
                )
            self.status = status
            setattr(self, STATUS_DATE_FIELDS[status], at or timezone.now())
            fields = ["status", STATUS_DATE_FIELDS[status]]
            if status == ConventionStatus.ANNULEE:
                self.cancel_reason = reason.strip()
                fields.append("cancel_reason")
                self.enrollments.update(active=False)
            self.save(update_fields=fields)


class EnrollmentManager(models.Manager):
    def get_by_natural_key(self, uai, school_year):
        return self.get(school__uai=uai, school_year__label=school_year, active=True)


class Enrollment(models.Model):
    convention = models.ForeignKey(
        Convention,
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="enrollments",
    )
    school = models.ForeignKey(
        School, verbose_name="école", on_delete=models.PROTECT, related_name="enrollments"
    )
    # Copied from the convention so that the database itself refuses a school enrolled
    # twice in the same year.
    school_year = models.ForeignKey(
        SchoolYear, verbose_name="année scolaire", on_delete=models.PROTECT, editable=False
    )
    # False once the convention is cancelled: its replacement may enroll the same schools.
    active = models.BooleanField("active", default=True, editable=False)

    objects = EnrollmentManager()

    class Meta:
        verbose_name = "école inscrite"
        verbose_name_plural = "écoles inscrites"
        ordering = ["school__commune__name", "school__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year"],
                condition=Q(active=True),
                name="one_enrollment_per_school_and_year",
                violation_error_message=(
                    "Cette école est déjà inscrite dans une autre convention de la même année "
                    "scolaire."
                ),
            )
        ]

    def __str__(self):
        return f"{self.school} – {self.school_year}"

    def natural_key(self):
        return (self.school.uai, self.school_year.label)

    natural_key.dependencies = ["schools.school", "conventions.convention"]

    def clean(self):
        if self.convention_id and self.convention.is_issued:
            raise ValidationError(
                "La convention est émise : ses écoles ne peuvent plus changer. Annulez-la et "
                "émettez une convention de remplacement."
            )
        if self.convention_id:
            self.school_year_id = self.convention.school_year_id
        if self.school_id and self.school_year_id:
            other = (
                Enrollment.objects.filter(
                    school=self.school_id, school_year=self.school_year_id, active=True
                )
                .exclude(pk=self.pk)
                .select_related("convention__commune")
                .first()
            )
            if other:
                raise ValidationError(
                    {
                        "school": (
                            f"L'école {self.school.uai} est déjà inscrite pour "
                            f"{other.school_year} dans la convention de "
                            f"{other.convention.commune.name} ({other.convention.reference})."
                        )
                    }
                )

    @property
    def outside_communes(self):
        # .all() so that a prefetch of the collectivité's communes serves every row.
        covered = {commune.pk for commune in self.convention.collectivite.communes.all()}
        return self.school.commune_id not in covered


class IssuingBatch(models.Model):
    """Conventions issued in the background (django.tasks), with the progress staff see."""

    school_year = models.ForeignKey(
        SchoolYear, verbose_name="année scolaire", on_delete=models.PROTECT, related_name="+"
    )
    convention_ids = models.JSONField("conventions demandées", default=list, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandé par",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    total = models.PositiveIntegerField("brouillons à émettre", default=0)
    issued_count = models.PositiveIntegerField("émises", default=0)
    failures = models.JSONField("non émises", default=list, blank=True)
    task_id = models.CharField("tâche", max_length=64, blank=True)

    class Meta:
        verbose_name = "émission en arrière-plan"
        verbose_name_plural = "émissions en arrière-plan"
        ordering = ["-created_at"]

    def __str__(self):
        return (
            f"Émission {self.school_year} du {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"
        )

    @property
    def done(self):
        return self.issued_count + len(self.failures)

    @property
    def state(self):
        if self.finished_at:
            return "terminée"
        return "en cours" if self.started_at else "en attente"

    def run(self, issue_one):
        """Issue each convention still a draft; progress is saved after every document."""
        drafts = list(
            Convention.objects.filter(
                pk__in=self.convention_ids, status=ConventionStatus.BROUILLON
            )
            .order_by("academie__code", "commune__insee_code")
            .values_list("pk", flat=True)
        )
        self.total = len(drafts)
        self.started_at = timezone.now()
        self.save(update_fields=["total", "started_at"])
        for pk in drafts:
            reference, error = issue_one(pk)
            if error:
                self.failures.append({"reference": reference, "erreur": error})
                self.save(update_fields=["failures"])
            else:
                self.issued_count += 1
                self.save(update_fields=["issued_count"])
        self.finished_at = timezone.now()
        self.save(update_fields=["finished_at"])


class TitreCounter(models.Model):
    """The last number given per académie and budget year; its row is the lock."""

    academie = models.ForeignKey(Academie, on_delete=models.PROTECT, related_name="+")
    exercice = models.PositiveSmallIntegerField("exercice")
    last = models.PositiveIntegerField("dernier numéro attribué", default=0)

    class Meta:
        verbose_name = "compteur de titres"
        verbose_name_plural = "compteurs de titres"
        constraints = [
            models.UniqueConstraint(
                fields=["academie", "exercice"], name="one_titre_counter_per_year"
            )
        ]

    def __str__(self):
        return f"{self.academie.code}/{self.exercice} : {self.last}"

    @classmethod
    def next_number(cls, academie, exercice):
        """The next number, to be called inside the transaction that creates the titre.

        The counter row stays locked until that transaction commits, so concurrent issuers
        queue behind it and a rollback gives the number back: no gap, no duplicate.
        """
        if not transaction.get_connection().in_atomic_block:
            # Outside a transaction the lock would be released at once: numbers could repeat.
            raise RuntimeError("TitreCounter.next_number() must run inside transaction.atomic()")
        # ON CONFLICT DO NOTHING: two first issuers of a year must not fail on each other.
        cls.objects.bulk_create([cls(academie=academie, exercice=exercice)], ignore_conflicts=True)
        counter = cls.objects.select_for_update().get(academie=academie, exercice=exercice)
        counter.last += 1
        counter.save(update_fields=["last"])
        return counter.last


class TitreQuerySet(models.QuerySet):
    def live(self):
        return self.exclude(status=TitreStatus.ANNULE)

    def for_export(self):
        # Plain rows rather than model instances: building 10,000 titres and their related
        # objects costs more than the whole export.
        return self.annotate(
            academie_name=F("academie__name"),
            school_year_label=F("convention__school_year__label"),
        ).values()

    def update(self, **kwargs):
        # Bulk updates bypass Titre.save(): refuse the one field that must never move.
        if "amount" in kwargs and self.exclude(status=TitreStatus.A_EMETTRE).exists():
            raise ValidationError(AMOUNT_FROZEN_MESSAGE, code="amount_frozen")
        return super().update(**kwargs)


AMOUNT_FROZEN_MESSAGE = (
    "Le montant d'un titre émis ne peut plus être modifié : annulez le titre et émettez-en un "
    "nouveau."
)


class Titre(models.Model):
    convention = models.ForeignKey(
        Convention, verbose_name="convention", on_delete=models.PROTECT, related_name="titres"
    )
    academie = models.ForeignKey(
        Academie, verbose_name="académie", on_delete=models.PROTECT, related_name="titres"
    )
    status = models.CharField(
        "statut",
        max_length=10,
        choices=TitreStatus,
        default=TitreStatus.A_EMETTRE,
        editable=False,
    )
    # Budget year = year of issue; the number is unique per académie and exercice.
    exercice = models.PositiveSmallIntegerField("exercice", null=True, editable=False)
    sequence = models.PositiveIntegerField("rang", null=True, editable=False)
    number = models.CharField("numéro", max_length=20, null=True, unique=True, editable=False)
    amount = models.DecimalField("montant TTC", max_digits=10, decimal_places=2, editable=False)
    school_count = models.PositiveIntegerField("nombre d'écoles", editable=False)
    rate = models.DecimalField("tarif unitaire", max_digits=10, decimal_places=2, editable=False)
    # Snapshot of the debtor and object at issue: a later change of the collectivité never
    # alters a titre already sent to the treasury.
    debtor_name = models.CharField("débiteur", max_length=200, blank=True, editable=False)
    debtor_siret = models.CharField("SIRET", max_length=14, blank=True, editable=False)
    debtor_address = models.CharField("adresse", max_length=400, blank=True, editable=False)
    debtor_service_code = models.CharField(
        "code service", max_length=100, blank=True, editable=False
    )
    debtor_engagement_number = models.CharField(
        "numéro d'engagement", max_length=50, blank=True, editable=False
    )
    object = models.CharField("objet", max_length=255, blank=True, editable=False)
    convention_reference = models.CharField(
        "référence de la convention", max_length=40, blank=True, editable=False
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    issue_date = models.DateField("date d'émission", null=True, editable=False)
    paid_on = models.DateField("date de paiement", null=True, editable=False)
    amount_paid = models.DecimalField(
        "montant payé", max_digits=10, decimal_places=2, null=True, editable=False
    )
    cancelled_at = models.DateTimeField("annulé le", null=True, editable=False)
    cancel_reason = models.TextField("motif d'annulation", blank=True, editable=False)

    objects = TitreQuerySet.as_manager()

    class Meta:
        verbose_name = "titre de perception"
        verbose_name_plural = "titres de perception"
        ordering = ["-exercice", "academie__code", "-sequence", "-pk"]
        permissions = [
            ("issue_titre", "Peut émettre des titres de perception"),
            ("mark_paid_titre", "Peut marquer des titres payés"),
            ("cancel_titre", "Peut annuler des titres de perception"),
            ("export_titre", "Peut exporter les titres de perception"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["convention"],
                condition=~Q(status="annule"),
                name="one_live_titre_per_convention",
                violation_error_message="Cette convention a déjà un titre de perception.",
            ),
            models.UniqueConstraint(
                fields=["academie", "exercice", "sequence"],
                name="unique_titre_sequence",
            ),
            models.CheckConstraint(
                condition=Q(status="a_emettre") | Q(number__isnull=False),
                name="issued_titre_has_number",
            ),
        ]

    def __str__(self):
        return self.number or f"titre à émettre ({self.debtor_name or self.convention_id})"

    def save(self, *args, **kwargs):
        # An integrity guard rather than business logic: whatever path writes a titre
        # (admin, shell, a future import), the amount sent to the treasury never changes.
        update_fields = kwargs.get("update_fields")
        amount_written = update_fields is None or "amount" in update_fields
        if self.pk and amount_written and self.status != TitreStatus.A_EMETTRE:
            stored = Titre.objects.filter(pk=self.pk).values_list("amount", flat=True).first()
            if stored is not None and stored != self.amount:
                raise ValidationError(AMOUNT_FROZEN_MESSAGE, code="amount_frozen")
        super().save(*args, **kwargs)

    @staticmethod
    def format_number(academie_code, exercice, sequence):
        return f"TP-{exercice}-{academie_code}-{sequence:06d}"

    @property
    def payment_differs(self):
        return self.amount_paid is not None and self.amount_paid != self.amount
