from django.conf import settings
from django.db import models
from django.utils import timezone

from communes.validators import split_emails, validate_email_list
from conventions.models.conventions import Convention
from schools.models import School


class SchoolConfirmation(models.Model):
    """What a mairie confirmed through its private link, before the convention is issued.

    One row per answer: the latest is the one staff accept; the earlier ones stay as history.
    """

    convention = models.ForeignKey(
        Convention,
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="confirmations",
    )
    schools = models.ManyToManyField(School, verbose_name="écoles confirmées", related_name="+")
    representative_name = models.CharField("représentant", max_length=150)
    representative_title = models.CharField("qualité du représentant", max_length=150)
    emails = models.TextField("adresses e-mail de contact", validators=[validate_email_list])
    confirmed_by = models.CharField("confirmée par", max_length=150, help_text="nom saisi")
    confirmed_at = models.DateTimeField("confirmée le", default=timezone.now)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    # What differed from the draft when the mairie answered (see confirmations.differences).
    changes = models.JSONField("modifications", default=dict, blank=True)
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="acceptée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "confirmation de la mairie"
        verbose_name_plural = "confirmations de la mairie"
        ordering = ["-confirmed_at", "-pk"]

    def __str__(self):
        return f"Confirmation de {self.confirmed_by} ({self.convention_id})"

    def email_list(self):
        return split_emails(self.emails)


class MissingSchoolReport(models.Model):
    """A school the mairie did not find in the list: staff are told, nothing is created."""

    convention = models.ForeignKey(
        Convention,
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="missing_school_reports",
    )
    text = models.TextField("message de la mairie")
    reported_at = models.DateTimeField("signalée le", default=timezone.now)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)

    class Meta:
        verbose_name = "école manquante signalée"
        verbose_name_plural = "écoles manquantes signalées"
        ordering = ["-reported_at", "-pk"]

    def __str__(self):
        return self.text[:60]
