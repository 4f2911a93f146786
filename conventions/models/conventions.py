import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from communes import journal
from communes.history import AuditedHistory, bulk_create_audited, bulk_update_audited
from communes.models import Academie, Collectivite, Commune
from conventions.enums import STATUS_DATE_FIELDS, TRANSITIONS, ConventionStatus, TitreStatus
from conventions.fees import Fee
from conventions.models.reference import (
    ConventionTemplate,
    SchoolYear,
    Tariff,
    hash_access_token,
    storages_private,
)
from conventions.models.reminders import Reminder
from schools.models import School

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
        "Convention émise : %(fields)s ne peut plus être modifié. Annulez-la et "
        "émettez une convention de remplacement."
        if len(fields) == 1
        else "Convention émise : %(fields)s ne peuvent plus être modifiés. Annulez-la et "
        "émettez une convention de remplacement.",
        code="frozen",
        params={"fields": ", ".join(fields)},
    )


# The statuses in which the mairie may still sign (or replace its signed copy).
LINK_STATUSES = {
    ConventionStatus.EMISE,
    ConventionStatus.ENVOYEE,
    ConventionStatus.SIGNEE_COLLECTIVITE,
}


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

    def awaiting_collectivite(self):
        """Sent to the mairie through a live link, and not signed by it yet."""
        return self.filter(
            status__in=[ConventionStatus.EMISE, ConventionStatus.ENVOYEE],
            link_sent_at__isnull=False,
            access_token_hash__isnull=False,
        )

    def with_reminder_count(self):
        # Reminders since the link was last sent: sending it again starts the count over.
        count = (
            Reminder.objects.filter(
                convention=OuterRef("pk"), sent_at__gte=OuterRef("link_sent_at")
            )
            .order_by()
            .values("convention")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return self.annotate(reminder_count=Coalesce(Subquery(count), 0))

    def to_call(self):
        """Still unsigned after the last reminder: staff phone the mairie."""
        return (
            self.awaiting_collectivite()
            .with_reminder_count()
            .filter(reminder_count__gte=len(settings.REMINDER_DELAYS_DAYS))
        )

    def for_list(self):
        return (
            self.select_related("collectivite", "commune", "school_year", "academie")
            .with_fee()
            .with_outside_flag()
        )

    def undeletable(self):
        return self.exclude(status=ConventionStatus.BROUILLON)

    def billable(self):
        # Signed by both parties and without a live titre. A convention whose titre was
        # cancelled stays "facturée" and may be billed again under a new number.
        from conventions.models.titres import Titre  # titres.py imports this module

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
    # Read receipts: the first time the mairie opened its page and downloaded the PDF, through
    # any of the links it was sent.
    link_opened_at = models.DateTimeField(
        "ouverte par la collectivité le", null=True, blank=True, editable=False
    )
    pdf_downloaded_at = models.DateTimeField(
        "PDF téléchargé le", null=True, blank=True, editable=False
    )

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
    history = AuditedHistory(excluded_fields=["access_token_hash"])

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
        # Beyond editing the form: what acts on the document and on the mairie's link.
        permissions = [
            ("issue_convention", "Peut émettre des conventions"),
            ("send_link_convention", "Peut envoyer, régénérer et révoquer le lien privé"),
            ("change_status_convention", "Peut changer le statut et annuler des conventions"),
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
        if not self.pk and self.commune_id and self.school_year_id:
            # After a cancelled convention, a new one of the same commune and year (made by
            # hand rather than by "annuler et remplacer") takes the next number.
            numbers = Convention.objects.filter(
                commune=self.commune_id, school_year=self.school_year_id
            ).aggregate(last=Max("number"))
            self.number = (numbers["last"] or 0) + 1
        if self.commune_id and not self.academie_id:
            # The commune's département determines the académie: left empty, it follows.
            self.academie_id = self.commune.departement.academie_id
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
    def is_deletable(self):
        # Only a draft: anything issued (even cancelled) is a record, cancelled not deleted.
        return self.status == ConventionStatus.BROUILLON

    def delete_files_on_commit(self):
        """Remove the convention's files once its deletion is committed (a rolled-back
        deletion keeps them)."""
        files = [file for file in (self.pdf, self.signed_pdf) if file]
        transaction.on_commit(lambda: [file.storage.delete(file.name) for file in files])

    @property
    def fee(self):
        if self.is_issued:
            return Fee(school_count=self.issued_school_count, rate=self.issued_rate)
        return Fee(school_count=self.get_school_count(), rate=self.get_rate())

    # Private link ----------------------------------------------------------------------

    def can_receive_access_link(self):
        # The link asks the mairie to sign: pointless once the académie has signed (the
        # mairie may replace its signed copy until then).
        return self.is_issued and self.status in LINK_STATUSES

    def new_access_link(self):
        """Make a fresh private link (the previous one stops working); returns its token."""
        token = self.set_new_access_token()
        self.save(update_fields=["access_token_hash", "link_created_at"])
        return token

    def set_new_access_token(self):
        """new_access_link() without the save, for callers that save many rows at once."""
        if not self.can_receive_access_link():
            raise ValidationError(
                "Seule une convention émise, envoyée ou signée par la collectivité peut "
                "recevoir un lien privé ; celle-ci est « %(status)s ».",
                code="link_not_issued",
                params={"status": self.get_status_display()},
            )
        token = secrets.token_urlsafe(32)
        self.access_token_hash = hash_access_token(token)
        self.link_created_at = timezone.now()
        return token

    def revoke_access_link(self):
        self.access_token_hash = None
        self.save(update_fields=["access_token_hash"])

    @property
    def has_access_link(self):
        return self.access_token_hash is not None

    def record_first(self, field):
        """Stamp a read receipt (link_opened_at, pdf_downloaded_at) the first time only."""
        if getattr(self, field) is not None:
            return
        now = timezone.now()
        # Conditional: of two requests at once, the first one's time stays.
        Convention.objects.filter(pk=self.pk, **{f"{field}__isnull": True}).update(**{field: now})
        setattr(self, field, now)

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

    def can_replace_signed_copy(self):
        # The mairie may correct its copy until the académie has signed that very copy.
        return self.status == ConventionStatus.SIGNEE_COLLECTIVITE and bool(self.signed_pdf)

    # Schools ---------------------------------------------------------------------------

    def schools_outside_communes(self):
        covered = self.collectivite.communes.values("pk")
        return self.schools.exclude(commune__in=covered)

    def enrollable_schools(self):
        """The commune's open schools that no live convention of the year enrolls yet."""
        taken = Enrollment.objects.filter(
            school=OuterRef("pk"), school_year=self.school_year_id, active=True
        )
        return (
            School.objects.open()
            .filter(commune=self.commune_id)
            .exclude(Exists(taken))
            .with_label_relations()
            .order_by("name")
        )

    def enroll(self, schools):
        """Enroll these schools (a subset of enrollable_schools()); returns how many."""
        if self.is_issued:
            raise ValidationError(
                "La convention est émise : ses écoles ne peuvent plus changer. Annulez-la et "
                "émettez une convention de remplacement.",
                code="frozen_schools",
            )
        schools = self.enrollable_schools().filter(pk__in=[school.pk for school in schools])
        enrollments = bulk_create_audited(
            Enrollment,
            [
                Enrollment(convention=self, school=school, school_year_id=self.school_year_id)
                for school in schools
            ],
        )
        return len(enrollments)

    # Life ------------------------------------------------------------------------------

    def live_titre(self):
        """The titre not cancelled, if any: while it stands the mairie owes its amount."""
        # A titre follows the signatures: a draft has none (and its page one query less).
        if self.pk is None or self.status == ConventionStatus.BROUILLON:
            return None
        return self.titres.exclude(status=TitreStatus.ANNULE).first()

    def cancellation_error(self):
        """Why this convention may not be cancelled now (None when it may)."""
        titre = self.live_titre()
        if titre is None:
            return None
        return ValidationError(
            "La convention %(reference)s a un titre de perception « %(status)s » "
            "(%(titre)s) : annulez d'abord le titre (Comptabilité ou super-utilisateur), "
            "puis la convention.",
            code="live_titre",
            params={
                "reference": self.reference,
                "status": titre.get_status_display(),
                "titre": titre,
            },
        )

    def can_transition_to(self, status):
        if status not in TRANSITIONS[ConventionStatus(self.status)]:
            return False
        return status != ConventionStatus.ANNULEE or self.cancellation_error() is None

    def transition_to(self, status, *, reason="", at=None):
        status = ConventionStatus(status)
        if status == ConventionStatus.ANNULEE and (error := self.cancellation_error()):
            raise error
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
            # Again under the lock: a titre may have been prepared since the first check.
            if status == ConventionStatus.ANNULEE and (error := self.cancellation_error()):
                raise error
            previous = ConventionStatus(self.status)
            self.status = status
            setattr(self, STATUS_DATE_FIELDS[status], at or timezone.now())
            fields = ["status", STATUS_DATE_FIELDS[status]]
            if status == ConventionStatus.ANNULEE:
                self.cancel_reason = reason.strip()
                fields.append("cancel_reason")
                # Through the history: the schools freed for a replacement stay traced.
                enrollments = list(self.enrollments.filter(active=True))
                for enrollment in enrollments:
                    enrollment.active = False
                bulk_update_audited(Enrollment, enrollments, ["active"])
            self.save(update_fields=fields)
            journal.record(
                journal.JournalEvent.CONVENTION_CANCELLED
                if status == ConventionStatus.ANNULEE
                else journal.JournalEvent.CONVENTION_STATUS,
                obj=self,
                reference=self.reference,
                previous=previous.value,
                status=status.value,
                reason=self.cancel_reason if status == ConventionStatus.ANNULEE else "",
            )


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
    history = AuditedHistory()

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
