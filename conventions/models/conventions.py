import secrets

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.text import slugify

from communes import journal
from communes.history import AuditedHistory, bulk_create_audited, bulk_update_audited
from communes.models import Academie, Collectivite, Commune
from conventions.enums import STATUS_DATE_FIELDS, TRANSITIONS, ConventionStatus, TitreStatus
from conventions.fees import Fee
from conventions.models.convention_queries import (
    FROZEN_FIELDS,
    LINK_STATUSES,
    ConventionManager,
    frozen_error,
)
from conventions.models.enrollments import Enrollment
from conventions.models.reference import (
    ConventionTemplate,
    SchoolYear,
    Tariff,
    hash_access_token,
    storages_private,
)
from schools.models import School


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

    def save(self, *args, frozen_checked=False, **kwargs):
        # Not business logic: a last barrier so that no code path (shell, script, a future
        # view) can rewrite what an issued document printed. Issuing itself writes these
        # fields while the stored row is still a draft, which this lets through (and says
        # so with `frozen_checked`, holding the draft's lock: the row is not read again).
        if not frozen_checked and (changed := self.frozen_changes()):
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
        if self.commune_id and self.school_year_id:
            errors.update(self.clean_commune_and_year())
        if (
            self.collectivite_id
            and self.commune_id
            and not self.is_issued
            and not self.collectivite.communes.filter(pk=self.commune_id).exists()
        ):
            errors.setdefault(
                "commune",
                f"{self.collectivite.name} ne couvre pas la commune {self.commune.name} : "
                "choisissez une des communes couvertes par la collectivité, ou ajoutez "
                "celle-ci à ses communes couvertes.",
            )
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

    def clean_commune_and_year(self):
        # The form leaves out the status, so Django skips the conditional unique constraint
        # and the database would refuse the row with an IntegrityError (a 500): check here.
        others = Convention.objects.filter(
            commune=self.commune_id, school_year=self.school_year_id
        ).exclude(pk=self.pk)
        live = others.active().select_related("school_year", "academie", "commune").first()
        if live is not None and self.status != ConventionStatus.ANNULEE:
            return {
                "commune": (
                    f"Une convention existe déjà pour {self.commune.name} en "
                    f"{self.school_year} ({live.reference}, {live.get_status_display()}) : "
                    "modifiez-la, ou annulez-la avant d'en établir une autre."
                )
            }
        moved = (
            self.pk
            and not Convention.objects.filter(
                pk=self.pk, commune=self.commune_id, school_year=self.school_year_id
            ).exists()
        )
        if not self.pk or moved:
            # After a cancelled convention, a new one of the same commune and year (made by
            # hand rather than by "annuler et remplacer") takes the next number.
            last = others.aggregate(last=Max("number"))["last"]
            self.number = (last or 0) + 1
        return {}

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

    def transition_to(self, status, *, reason="", at=None, locked=False, also_save=()):
        """Move to `status`, locking the row, and journal it.

        `locked`: the caller's transaction already holds this row's lock and read its status
        (issuing does), so the row is not read again. `also_save`: other fields the caller
        set, written by the same UPDATE (one history version rather than two).
        """
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
        with transaction.atomic(savepoint=not locked):
            # Lock the row so that two agents cannot move the same convention at once.
            current = self if locked else Convention.objects.select_for_update().get(pk=self.pk)
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
            fields = [*also_save, "status", STATUS_DATE_FIELDS[status]]
            if status == ConventionStatus.ANNULEE:
                self.cancel_reason = reason.strip()
                fields.append("cancel_reason")
                # Through the history: the schools freed for a replacement stay traced.
                enrollments = list(self.enrollments.filter(active=True))
                for enrollment in enrollments:
                    enrollment.active = False
                bulk_update_audited(Enrollment, enrollments, ["active"])
            # Under our lock, a draft's stored row has frozen nothing yet: not read again.
            self.save(
                update_fields=fields,
                frozen_checked=locked and previous == ConventionStatus.BROUILLON,
            )
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
