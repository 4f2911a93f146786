from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from communes import journal
from conventions.enums import ConventionStatus


def portal_url(token):
    return settings.SITE_URL.rstrip("/") + reverse("conventions:portal", args=[token])


def send_access_link(convention):
    """E-mail a fresh private link to the collectivité; returns the link.

    Only the token's hash is stored, so each sending makes a new link and the previous one
    stops working.
    """
    recipients = convention.collectivite.email_list()
    if not recipients:
        raise ValidationError(
            "La collectivité %(name)s n'a aucune adresse e-mail de contact : ajoutez-en une "
            "avant d'envoyer le lien.",
            code="no_recipient",
            params={"name": convention.collectivite},
        )
    with transaction.atomic():
        token = convention.new_access_link()
        url = portal_url(token)
        convention.link_sent_at = timezone.now()
        convention.save(update_fields=["link_sent_at"])
        if convention.status == ConventionStatus.EMISE:
            convention.transition_to(ConventionStatus.ENVOYEE)
        body = render_to_string(
            "conventions/email/access_link.txt", {"convention": convention, "url": url}
        )
        message = EmailMessage(
            subject=(
                f"Convention ENT-École {convention.school_year} – {convention.commune.name} : "
                "à signer"
            ),
            body=body,
            to=recipients,
        )
        # Sent inside the transaction: if the mail server refuses it, no link is recorded
        # as sent.
        message.send()
        journal.record(
            journal.JournalEvent.LINK_SENT,
            obj=convention,
            reference=convention.reference,
            recipients=recipients,
        )
    return url
