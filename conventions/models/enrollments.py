"""The schools a convention enrolls, one active row per school and year."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from communes.history import AuditedHistory
from conventions.models.reference import SchoolYear
from schools.models import School


class EnrollmentManager(models.Manager):
    def get_by_natural_key(self, uai, school_year):
        return self.get(school__uai=uai, school_year__label=school_year, active=True)


class Enrollment(models.Model):
    convention = models.ForeignKey(
        "conventions.Convention",
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
