from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from conventions.enums import ConventionStatus


def receive_signed_copy(convention, *, signed_pdf, act_date, act_identifier):
    """Store the copy signed by the collectivité and tell staff.

    The caller has validated the file and the identifier (SignedCopyForm): nothing is
    written before that.
    """
    with transaction.atomic():
        # transition_to locks the row and refuses a second copy once the status has moved.
        convention.transition_to(ConventionStatus.SIGNEE_COLLECTIVITE)
        convention.signed_pdf.save(f"{convention.reference}-signee.pdf", signed_pdf, save=False)
        convention.act_date = act_date
        convention.act_identifier = act_identifier
        convention.signed_uploaded_at = timezone.now()
        convention.save(
            update_fields=["signed_pdf", "act_date", "act_identifier", "signed_uploaded_at"]
        )
        # robust: a mail server failure is logged, it does not undo the received copy.
        transaction.on_commit(lambda: notify_staff(convention), robust=True)


def notify_staff(convention):
    if not settings.STAFF_NOTIFICATION_EMAILS:
        return
    admin_url = settings.SITE_URL.rstrip("/") + reverse(
        "admin:conventions_convention_change", args=[convention.pk]
    )
    body = render_to_string(
        "conventions/email/signed_copy_received.txt",
        {"convention": convention, "admin_url": admin_url},
    )
    EmailMessage(
        subject=(f"Convention signée reçue : {convention.commune.name} ({convention.reference})"),
        body=body,
        to=settings.STAFF_NOTIFICATION_EMAILS,
    ).send()
