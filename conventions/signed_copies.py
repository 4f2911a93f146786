from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from communes import journal
from conventions.enums import ConventionStatus
from conventions.models import Convention
from conventions.private_storage import storage_errors

SIGNED_COPY_UNAVAILABLE = (
    "La convention signée n'a pas pu être enregistrée : le service est momentanément "
    "indisponible. Réessayez dans quelques minutes ; si le problème persiste, écrivez au "
    "service ENT-École."
)


def receive_signed_copy(convention, *, signed_pdf, act_date, act_identifier):
    """Store the copy signed by the collectivité (or the one replacing it) and tell staff.

    The caller has validated the file and the identifier (SignedCopyForm): nothing is
    written before that.
    """
    with transaction.atomic():
        replaced = None
        if convention.can_receive_signed_copy():
            # transition_to locks the row and refuses a second copy once the status has moved.
            convention.transition_to(ConventionStatus.SIGNEE_COLLECTIVITE)
        else:
            # A replacement: only while the académie has not signed, checked under the lock.
            current = Convention.objects.select_for_update().only("status", "signed_pdf")
            current = current.get(pk=convention.pk)
            if not current.can_replace_signed_copy():
                raise ValidationError(
                    "L'académie a déjà signé la convention : l'exemplaire déposé ne peut plus "
                    "être remplacé. Écrivez au service ENT-École pour le corriger.",
                    code="signed_copy_locked",
                )
            replaced = current.signed_pdf.name
        with storage_errors(convention.reference, SIGNED_COPY_UNAVAILABLE):
            convention.signed_pdf.save(
                f"{convention.reference}-signee.pdf", signed_pdf, save=False
            )
        convention.act_date = act_date
        convention.act_identifier = act_identifier
        convention.signed_uploaded_at = timezone.now()
        convention.save(
            update_fields=["signed_pdf", "act_date", "act_identifier", "signed_uploaded_at"]
        )
        journal.record(
            journal.JournalEvent.SIGNED_UPLOADED,
            # Through the private link nobody is logged in: the mairie sent it.
            journal.current_actor() or "collectivité (lien privé)",
            obj=convention,
            reference=convention.reference,
            act_date=act_date,
            act_identifier=act_identifier,
            replaced=bool(replaced),
        )
        if replaced:
            # Only once the new copy is committed: a failure keeps the previous one.
            storage = convention.signed_pdf.storage
            transaction.on_commit(lambda: storage.delete(replaced), robust=True)
        # robust: a mail server failure is logged, it does not undo the received copy.
        transaction.on_commit(
            lambda: notify_staff(convention, replaced=bool(replaced)), robust=True
        )


def notify_staff(convention, *, replaced=False):
    if not settings.STAFF_NOTIFICATION_EMAILS:
        return
    admin_url = settings.SITE_URL.rstrip("/") + reverse(
        "admin:conventions_convention_change", args=[convention.pk]
    )
    body = render_to_string(
        "conventions/email/signed_copy_received.txt",
        {"convention": convention, "admin_url": admin_url, "replaced": replaced},
    )
    what = "remplacée" if replaced else "reçue"
    EmailMessage(
        subject=(f"Convention signée {what} : {convention.commune.name} ({convention.reference})"),
        body=body,
        to=settings.STAFF_NOTIFICATION_EMAILS,
    ).send()
