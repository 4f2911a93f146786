from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q

from communes.history import AuditedHistory
from communes.models import Academie
from conventions.enums import TitreStatus
from conventions.models.conventions import Convention


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
    history = AuditedHistory()

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
    def remaining(self):
        """What is left to pay on an issued titre (never below zero)."""
        return max(self.amount - (self.amount_paid or Decimal("0.00")), Decimal("0.00"))

    @property
    def payment_differs(self):
        return self.amount_paid is not None and self.amount_paid != self.amount
