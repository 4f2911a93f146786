from django.db import models

from communes.models import Collectivite


class ReminderEmail(models.Model):
    """One reminder e-mail to a collectivité, for all its conventions awaiting signature."""

    collectivite = models.ForeignKey(
        Collectivite,
        verbose_name="collectivité",
        on_delete=models.PROTECT,
        related_name="reminder_emails",
    )
    # The Paris day it went out: the unique constraint keeps a collectivité from receiving
    # two reminders the same day, even from two runs of send_reminders at once.
    day = models.DateField("jour d'envoi")
    sent_at = models.DateTimeField("envoyé le")
    recipients = models.JSONField("destinataires", default=list)

    class Meta:
        verbose_name = "e-mail de relance"
        verbose_name_plural = "e-mails de relance"
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "day"], name="one_reminder_email_per_collectivite_and_day"
            )
        ]

    def __str__(self):
        return f"Relance de {self.collectivite} du {self.day:%d/%m/%Y}"


class Reminder(models.Model):
    """A convention reminded in a ReminderEmail; `rank` counts from the link's sending."""

    email = models.ForeignKey(
        ReminderEmail,
        verbose_name="e-mail",
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name="convention",
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    rank = models.PositiveSmallIntegerField("rang")
    # The e-mail's moment, on the reminder too: counting a convention's reminders since its
    # link was sent then reads only this table, through the convention's index.
    sent_at = models.DateTimeField("envoyée le")

    class Meta:
        verbose_name = "relance"
        verbose_name_plural = "relances"
        ordering = ["sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["email", "convention"], name="one_reminder_per_convention_and_email"
            )
        ]

    def __str__(self):
        return f"Relance n° {self.rank} – {self.convention_id}"
