from django.conf import settings
from django.db import models
from django.utils import timezone

from communes.models import Academie
from conventions.models.conventions import Convention

# Long enough to describe an error, short enough that one form cannot fill the database.
ERROR_REPORT_MAX_LENGTH = 2000


class ErrorReportQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(handled=False)


class ErrorReport(models.Model):
    """An error a visitor of the public pages reported to staff ("Signaler une erreur").

    The text is stored as typed and escaped wherever it is shown.
    """

    convention = models.ForeignKey(
        Convention,
        verbose_name="convention",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="error_reports",
    )
    academie = models.ForeignKey(
        Academie,
        verbose_name="académie",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    page_url = models.CharField("page signalée", max_length=300, blank=True)
    name = models.CharField("nom", max_length=150)
    email = models.EmailField("adresse e-mail", blank=True)
    message = models.TextField("message", max_length=ERROR_REPORT_MAX_LENGTH)
    created_at = models.DateTimeField("reçu le", default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    handled = models.BooleanField("traité", default=False)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="traité par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField("traité le", null=True, blank=True)

    objects = ErrorReportQuerySet.as_manager()

    class Meta:
        verbose_name = "erreur signalée"
        verbose_name_plural = "erreurs signalées"
        ordering = ["-created_at", "-pk"]
        permissions = [("handle_errorreport", "Peut marquer les erreurs signalées comme traitées")]

    def __str__(self):
        return f"{self.name} : {self.message[:60]}"
