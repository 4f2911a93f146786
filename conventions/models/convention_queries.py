"""What is asked of many conventions at once, and the fields an issued convention freezes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

from communes.models import Collectivite
from conventions.enums import ConventionStatus, TitreStatus
from conventions.models.enrollments import Enrollment
from conventions.models.reference import Tariff, hash_access_token
from conventions.models.reminders import Reminder

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
        # Imported here: titres.py imports conventions.py, which imports this module.
        from conventions.models.titres import Titre

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
