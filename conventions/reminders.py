"""Reminding by e-mail the collectivités that have not signed (manage.py send_reminders).

A convention whose link was sent is due its n-th reminder REMINDER_DELAYS_DAYS[n - 1] days
after the sending, counting the reminders since that sending. A collectivité gets one e-mail
for all its due conventions and never two the same day (ReminderEmail's unique constraint).

Only the hash of a private link is stored, so the link of the first e-mail cannot be written
again: each reminder carries a fresh link, which replaces the previous one, as sending the
link again from the admin does.
"""

import contextlib
import datetime
import itertools
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from conventions.access_links import portal_url
from conventions.models import Convention, Reminder, ReminderEmail


def reminder_delays():
    delays = list(settings.REMINDER_DELAYS_DAYS)
    if not delays or any(d <= 0 for d in delays) or delays != sorted(set(delays)):
        raise ImproperlyConfigured(
            "REMINDER_DELAYS_DAYS doit être une liste croissante de nombres de jours positifs "
            f"(par exemple 15,30) ; reçu : {','.join(map(str, delays)) or 'rien'}."
        )
    return delays


def is_due(convention, delays, now):
    delay = datetime.timedelta(days=delays[convention.reminder_count])
    return now >= convention.link_sent_at + delay


@dataclass
class Due:
    collectivite: object
    conventions: list  # each with .reminder_rank set
    already_today: bool = False


@dataclass
class Report:
    sent: list = field(default_factory=list)  # (Due, recipients)
    without_email: list = field(default_factory=list)  # Due
    already_today: list = field(default_factory=list)  # Due
    failed: list = field(default_factory=list)  # (Due, message)

    @property
    def reminded_conventions(self):
        return sum(len(due.conventions) for due, _ in self.sent)


def due_reminders(now=None):
    """The collectivités to remind now, each with its due conventions, in a stable order."""
    now = now or timezone.now()
    delays = reminder_delays()
    today = timezone.localdate(now)
    reminded_today = set(
        ReminderEmail.objects.filter(day=today).values_list("collectivite", flat=True)
    )
    candidates = (
        Convention.objects.awaiting_collectivite()
        .with_reminder_count()
        .filter(reminder_count__lt=len(delays))
        .select_related("collectivite", "commune", "school_year", "academie")
        .order_by("collectivite__name", "collectivite_id", "school_year__label", "commune__name")
    )
    due = []
    for collectivite_id, group in itertools.groupby(candidates, lambda c: c.collectivite_id):
        conventions = [
            convention
            for convention in group
            if now - convention.link_sent_at
            >= datetime.timedelta(delays[convention.reminder_count])
        ]
        if not conventions:
            continue
        for convention in conventions:
            convention.reminder_rank = convention.reminder_count + 1
        due.append(
            Due(conventions[0].collectivite, conventions, collectivite_id in reminded_today)
        )
    return due


def reminder_message(due, links, recipients):
    conventions = due.conventions
    if len(conventions) == 1:
        convention = conventions[0]
        subject = (
            f"Relance : convention ENT-École {convention.school_year} – "
            f"{convention.commune.name} à signer"
        )
    else:
        subject = f"Relance : {len(conventions)} conventions ENT-École à signer"
    body = render_to_string(
        "conventions/email/reminder.txt",
        {
            "collectivite": due.collectivite,
            "items": list(zip(conventions, links, strict=True)),
            "contact_email": settings.PORTAL_CONTACT_EMAIL,
        },
    )
    return EmailMessage(subject=subject, body=body, to=recipients)


def send_one(due, mailer, now):
    """Record and send the reminder of one collectivité, all or nothing; returns recipients."""
    recipients = due.collectivite.email_list()
    with transaction.atomic():
        # Inserted first: a second run the same day stops here on the unique constraint.
        reminder_email = ReminderEmail.objects.create(
            collectivite=due.collectivite,
            day=timezone.localdate(now),
            sent_at=now,
            recipients=recipients,
        )
        links = [portal_url(convention.set_new_access_token()) for convention in due.conventions]
        # One UPDATE for all: Convention.save() would re-read each row for its frozen-field
        # check, which these two fields are not.
        Convention.objects.bulk_update(due.conventions, ["access_token_hash", "link_created_at"])
        Reminder.objects.bulk_create(
            Reminder(
                email=reminder_email,
                convention=convention,
                rank=convention.reminder_rank,
                sent_at=now,
            )
            for convention in due.conventions
        )
        # Sent inside the transaction: if the server refuses it, neither the reminder nor
        # the new links are recorded, and the previous link keeps working.
        mailer.send_messages([reminder_message(due, links, recipients)])
    return recipients


def send_reminders(*, dry_run=False, now=None):
    now = now or timezone.now()
    report = Report()
    due = due_reminders(now)
    to_send = []
    for entry in due:
        if entry.already_today:
            report.already_today.append(entry)
        elif not entry.collectivite.email_list():
            report.without_email.append(entry)
        else:
            to_send.append(entry)
    if dry_run:
        report.sent = [(entry, entry.collectivite.email_list()) for entry in to_send]
        return report
    if not to_send:
        return report
    mailer = mailers.default
    try:
        # One connection to the mail server for the whole run.
        mailer.open()
    except OSError as error:
        report.failed = [(entry, str(error)) for entry in to_send]
        return report
    try:
        for entry in to_send:
            try:
                recipients = send_one(entry, mailer, now)
            except IntegrityError:
                report.already_today.append(entry)
            except OSError as error:
                # smtplib's errors are OSErrors; the transaction left nothing recorded. The
                # next message opens a fresh connection.
                report.failed.append((entry, str(error)))
                close_quietly(mailer)
            else:
                report.sent.append((entry, recipients))
    finally:
        close_quietly(mailer)
    return report


def close_quietly(mailer):
    with contextlib.suppress(OSError):
        mailer.close()
