from django.conf import settings
from django.db import models
from django.utils import timezone

from conventions.enums import ConventionStatus
from conventions.models.conventions import Convention
from conventions.models.reference import SchoolYear
from conventions.templatetags.dates import long_datetime


class IssuingBatch(models.Model):
    """Conventions issued in the background (django.tasks), with the progress staff see."""

    school_year = models.ForeignKey(
        SchoolYear, verbose_name="année scolaire", on_delete=models.PROTECT, related_name="+"
    )
    # The académie of every convention of the batch, whose agents follow it; empty for the
    # batches made before batches were scoped (then seen by the region's agents only).
    academie = models.ForeignKey(
        "communes.Academie",
        verbose_name="académie",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
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
        academie = self.academie or "toutes académies"
        return f"Émission {self.school_year}, {academie}, du {long_datetime(self.created_at)}"

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
