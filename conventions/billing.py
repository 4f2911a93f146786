"""Titres de perception: prepare, issue (gapless numbers), record payment, cancel."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from communes import journal
from communes.french import pluralize
from conventions.enums import ConventionStatus, TitreStatus
from conventions.models import Convention, Titre, TitreCounter
from conventions.templatetags.money import euros

BILLABLE_STATUSES = {ConventionStatus.SIGNEE_ACADEMIE, ConventionStatus.FACTUREE}


def titre_object(convention):
    """« Participation ENT-École 2026-2027 – 4 écoles × 41,00 € »."""
    fee = convention.fee
    return (
        f"Participation ENT-École {convention.school_year.label} – "
        f"{fee.school_count} école{pluralize(fee.school_count)} × {euros(fee.rate)}"
    )


def prepare_titre(convention):
    """A titre "à émettre": amount copied from the frozen convention, no number yet."""
    if convention.status not in BILLABLE_STATUSES:
        raise ValidationError(
            "La convention %(reference)s n'est pas signée par les deux parties "
            "(statut « %(status)s ») : aucun titre ne peut être émis.",
            code="not_signed",
            params={"reference": convention.reference, "status": convention.get_status_display()},
        )
    if not convention.is_issued:
        raise ValidationError(
            "La convention %(reference)s n'a pas de montant figé : émettez-la d'abord.",
            code="not_frozen",
            params={"reference": convention.reference},
        )
    already = "La convention %(reference)s a déjà un titre de perception (%(titre)s)."
    live = convention.titres.live().first()
    if live:
        raise ValidationError(
            already,
            code="already_billed",
            params={"reference": convention.reference, "titre": live},
        )
    try:
        with transaction.atomic():
            return Titre.objects.create(
                convention=convention,
                academie=convention.academie,
                amount=convention.issued_amount,
                school_count=convention.issued_school_count,
                rate=convention.issued_rate,
                debtor_name=convention.collectivite.name,
            )
    except IntegrityError:
        # Another agent prepared the same convention a moment ago.
        raise ValidationError(
            already,
            code="already_billed",
            params={"reference": convention.reference, "titre": convention.titres.live().first()},
        ) from None


def issue(titre, *, on=None):
    """Give the titre its number and freeze the debtor; the convention becomes "facturée"."""
    on = on or timezone.localdate()
    with transaction.atomic():
        titre = (
            Titre.objects.select_for_update(of=("self",))
            .select_related(
                "academie",
                "convention__collectivite",
                "convention__school_year",
                "convention__academie",
                "convention__commune",
            )
            .get(pk=titre.pk)
        )
        if titre.status != TitreStatus.A_EMETTRE:
            raise ValidationError(
                "Le titre %(titre)s est déjà « %(status)s ».",
                code="already_issued",
                params={"titre": titre, "status": titre.get_status_display()},
            )
        convention = titre.convention
        if convention.status not in BILLABLE_STATUSES:
            # Cancelled (or sent back) since the titre was prepared.
            raise ValidationError(
                "La convention %(reference)s est « %(status)s » : le titre ne peut être émis.",
                code="not_signed",
                params={
                    "reference": convention.reference,
                    "status": convention.get_status_display(),
                },
            )
        collectivite = convention.collectivite
        # The number is taken last so that the counter row stays locked as briefly as
        # possible; everything after it runs in the same transaction, so a failure gives
        # the number back instead of leaving a gap.
        titre.sequence = TitreCounter.next_number(titre.academie, on.year)
        titre.exercice = on.year
        titre.number = Titre.format_number(titre.academie.code, on.year, titre.sequence)
        titre.status = TitreStatus.EMIS
        titre.issue_date = on
        titre.debtor_name = collectivite.name
        titre.debtor_siret = collectivite.siret
        titre.debtor_address = collectivite.full_address()
        titre.debtor_service_code = collectivite.chorus_service_code
        titre.debtor_engagement_number = collectivite.chorus_engagement_number
        titre.object = titre_object(convention)
        titre.convention_reference = convention.reference
        titre.save()
        journal.record(
            journal.JournalEvent.TITRE_ISSUED,
            obj=titre,
            number=titre.number,
            amount=titre.amount,
            convention=convention.pk,
            reference=convention.reference,
        )
        if convention.status == ConventionStatus.SIGNEE_ACADEMIE:
            convention.transition_to(ConventionStatus.FACTUREE)
    return titre


def issue_titre(convention, *, on=None):
    with transaction.atomic():
        return issue(prepare_titre(convention), on=on)


def billable_conventions(school_year, academie=None):
    conventions = Convention.objects.billable().filter(school_year=school_year)
    if academie is not None:
        conventions = conventions.filter(academie=academie)
    return conventions.select_related(
        "collectivite", "school_year", "academie", "commune"
    ).order_by("academie__code", "commune__name", "pk")


def issue_titres(conventions, *, on=None):
    """Yield (convention, titre, error) for each convention, one transaction per titre.

    One transaction each so that a long run never holds the counter of an académie for
    more than one titre at a time, and one bad convention does not stop the others.
    """
    for convention in conventions:
        try:
            yield convention, issue_titre(convention, on=on), None
        except ValidationError as error:
            yield convention, None, " ".join(error.messages)


PAYABLE_STATUSES = {TitreStatus.EMIS, TitreStatus.PARTIEL}


def mark_paid(titre, *, paid_on, amount=None):
    """Record a payment of `amount` (by default, what remains due). Payments add up: the
    titre is "partiellement payé" until they reach its amount."""
    with transaction.atomic():
        titre = Titre.objects.select_for_update().get(pk=titre.pk)
        if titre.status not in PAYABLE_STATUSES:
            raise ValidationError(
                "Le titre %(titre)s est « %(status)s » : seul un titre émis ou partiellement "
                "payé peut recevoir un paiement.",
                code="not_issued",
                params={"titre": titre, "status": titre.get_status_display()},
            )
        if paid_on < titre.issue_date:
            raise ValidationError(
                "Date de paiement du titre %(titre)s antérieure à son émission (%(issued)s).",
                code="paid_before_issue",
                params={"titre": titre, "issued": titre.issue_date.strftime("%d/%m/%Y")},
            )
        amount = titre.remaining if amount is None else Decimal(amount)
        if amount <= 0:
            raise ValidationError(
                "Le montant payé du titre %(titre)s doit être positif.",
                code="amount_paid_not_positive",
                params={"titre": titre},
            )
        titre.amount_paid = (titre.amount_paid or Decimal("0.00")) + amount
        titre.status = (
            TitreStatus.PAYE if titre.amount_paid >= titre.amount else TitreStatus.PARTIEL
        )
        titre.paid_on = paid_on
        titre.save(update_fields=["status", "paid_on", "amount_paid"])
        journal.record(
            journal.JournalEvent.TITRE_PAID,
            obj=titre,
            number=titre.number,
            paid_on=paid_on,
            amount_paid=amount,
            total_paid=titre.amount_paid,
            convention=titre.convention_id,
        )
    return titre


def cancel(titre, *, reason):
    if not reason.strip():
        raise ValidationError("Indiquez le motif de l'annulation.", code="missing_cancel_reason")
    with transaction.atomic():
        titre = Titre.objects.select_for_update().get(pk=titre.pk)
        if titre.status not in {TitreStatus.A_EMETTRE, TitreStatus.EMIS}:
            raise ValidationError(
                "Le titre %(titre)s est « %(status)s » : il ne peut plus être annulé.",
                code="not_cancellable",
                params={"titre": titre, "status": titre.get_status_display()},
            )
        # The number stays on the cancelled titre: the counter never goes back.
        titre.status = TitreStatus.ANNULE
        titre.cancelled_at = timezone.now()
        titre.cancel_reason = reason.strip()
        titre.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        journal.record(
            journal.JournalEvent.TITRE_CANCELLED,
            obj=titre,
            number=titre.number,
            reason=titre.cancel_reason,
            convention=titre.convention_id,
        )
    return titre
