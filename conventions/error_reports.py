""" "Signaler une erreur": a visitor of the public pages tells staff of an error, by a message
recorded for the admin and e-mailed to STAFF_NOTIFICATION_EMAILS."""

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from conventions.models import Convention, ErrorReport

# A private link's token must not end up in the stored page address: staff could open it.
TOKEN_IN_PATH = re.compile(r"/convention/[A-Za-z0-9_-]{43}/")


def today_bounds():
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)


def notify_staff(subject, template_name, context):
    """E-mail staff (STAFF_NOTIFICATION_EMAILS), when anyone is to be told."""
    if not settings.STAFF_NOTIFICATION_EMAILS:
        return
    EmailMessage(
        subject=subject,
        body=render_to_string(template_name, context),
        to=settings.STAFF_NOTIFICATION_EMAILS,
    ).send()


def page_path(address):
    """The path of the reported page, without its host or a private link's token."""
    path = address.split("?", 1)[0].split("#", 1)[0]
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    return TOKEN_IN_PATH.sub("/convention/…/", path)[:300]


def too_many_error(limit):
    return ValidationError(
        "Vous avez déjà signalé %(count)s erreurs aujourd'hui : le service ENT-École vous "
        "recontactera. Réessayez demain si besoin.",
        code="too_many_reports",
        params={"count": limit},
    )


def report_error(*, convention, academie, page_url, name, email, message, ip_address):
    """Record the report and tell staff; at most PORTAL_REPORTS_PER_DAY a day per convention
    (without one, per address)."""
    limit = settings.PORTAL_REPORTS_PER_DAY
    start, end = today_bounds()
    with transaction.atomic():
        if convention is not None:
            # The convention's row lock orders two reports sent at once: the count below
            # cannot be read by both before either writes.
            convention = Convention.objects.select_for_update().get(pk=convention.pk)
            sent = ErrorReport.objects.filter(convention=convention)
            academie = convention.academie
        else:
            sent = ErrorReport.objects.filter(convention=None, ip_address=ip_address or None)
        if sent.filter(created_at__gte=start, created_at__lt=end).count() >= limit:
            raise too_many_error(limit)
        report = ErrorReport.objects.create(
            convention=convention,
            academie=academie,
            page_url=page_path(page_url),
            name=name,
            email=email,
            message=message,
            ip_address=ip_address or None,
        )
        where = f" – {convention.commune.name} {convention.school_year}" if convention else ""
        notify_staff(
            f"Erreur signalée sur le portail{where}",
            "conventions/email/error_report.txt",
            {"report": report, "convention": convention},
        )
    return report


def mark_handled(queryset, user):
    """Mark the reports handled by `user`; returns how many were not handled yet."""
    return queryset.filter(handled=False).update(
        handled=True, handled_by=user, handled_at=timezone.now()
    )
