import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from conventions.access_links import send_access_link
from conventions.enums import ConventionStatus
from conventions.management.commands.send_reminders import MAX_LISTED, Command
from conventions.models import Convention, Reminder, ReminderEmail
from tests.factories import CollectiviteFactory, ConventionFactory, TariffFactory, enroll
from tests.portal_helpers import mark_issued
from tests.smtp_server import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

LINK_RE = re.compile(r"https?://\S+/convention/[A-Za-z0-9_-]{43}/")


def sent_convention(collectivite=None, days_ago=15, **kwargs):
    """An issued convention whose link went out `days_ago` days ago (through SMTP)."""
    if collectivite is not None:
        kwargs["collectivite"] = collectivite
    convention = ConventionFactory(**kwargs)
    TariffFactory(school_year=convention.school_year, academie=convention.academie)
    enroll(convention, 2)
    mark_issued(convention)
    send_access_link(convention)
    Convention.objects.filter(pk=convention.pk).update(
        link_sent_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    convention.refresh_from_db()
    return convention


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def links(message):
    return LINK_RE.findall(message.get_content())


def path_of(link):
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_reminds_by_smtp_fifteen_days_after_sending_with_a_working_link(client, smtp_server):
    convention = sent_convention(days_ago=15)
    smtp_server.clear()

    out, _ = run()

    assert f"Relance envoyée — {convention.collectivite} ({convention.reference})" in out
    assert "1 e-mail de relance envoyé pour 1 convention." in out
    (message,) = smtp_server.messages
    recipients = convention.collectivite.email_list()
    assert smtp_server.envelopes[0].rcpt_tos == recipients
    assert message["To"] == ", ".join(recipients)
    assert message["Subject"] == (
        f"Relance : convention ENT-École {convention.school_year} – "
        f"{convention.commune.name} à signer"
    )
    body = message.get_content()
    assert convention.reference in body
    assert "2 écoles × 41,00\N{NO-BREAK SPACE}€ = 82,00\N{NO-BREAK SPACE}€" in body
    (link,) = links(message)
    assert client.get(path_of(link)).status_code == 200

    (reminder,) = convention.reminders.select_related("email")
    assert reminder.rank == 1
    assert reminder.email.recipients == recipients
    assert reminder.email.day == timezone.localdate()


def test_not_before_the_delay_and_not_once_signed(smtp_server):
    sent_convention(days_ago=14)
    signed = sent_convention(days_ago=20)
    signed.transition_to(ConventionStatus.SIGNEE_COLLECTIVITE)
    smtp_server.clear()

    out, _ = run()

    assert "0 e-mail de relance envoyé pour 0 convention." in out
    assert smtp_server.messages == []
    assert not Reminder.objects.exists()


def test_one_email_per_collectivite_with_all_its_conventions(smtp_server):
    collectivite = CollectiviteFactory(emails="mairie@exemple.fr; dgs@exemple.fr")
    first = sent_convention(collectivite, days_ago=16)
    second = sent_convention(collectivite, days_ago=31)
    other = sent_convention(days_ago=15)
    smtp_server.clear()

    out, _ = run()

    assert "2 e-mails de relance envoyés pour 3 conventions." in out
    by_recipients = {tuple(e.rcpt_tos): e for e in smtp_server.envelopes}
    assert set(by_recipients) == {
        ("mairie@exemple.fr", "dgs@exemple.fr"),
        tuple(other.collectivite.email_list()),
    }
    grouped = next(m for m in smtp_server.messages if "mairie@exemple.fr" in m["To"])
    assert grouped["Subject"] == "Relance : 2 conventions ENT-École à signer"
    assert len(links(grouped)) == 2
    assert first.reference in grouped.get_content()
    assert second.reference in grouped.get_content()
    assert ReminderEmail.objects.count() == 2
    # Overdue for both reminders, the second convention gets its first one today.
    assert list(Reminder.objects.values_list("rank", flat=True)) == [1, 1, 1]


def test_never_twice_the_same_day_however_often_it_runs(smtp_server):
    convention = sent_convention(days_ago=40)  # due for both reminders
    smtp_server.clear()

    run()
    out, _ = run()
    run()

    assert len(smtp_server.messages) == 1
    assert "0 e-mail de relance envoyé" in out
    assert "1 collectivité déjà relancée aujourd'hui : rien de plus avant demain." in out
    assert convention.reminders.count() == 1


def test_several_collectivites_already_reminded_today_are_counted_in_french(smtp_server):
    sent_convention(days_ago=40)  # each due for both reminders
    sent_convention(days_ago=40)
    run()

    out, _ = run()

    assert "2 collectivités déjà relancées aujourd'hui : rien de plus avant demain." in out


def test_second_reminder_at_thirty_days_then_to_call_by_phone(smtp_server, settings):
    convention = sent_convention(days_ago=15)
    run()
    # A day later, before thirty days: nothing.
    ReminderEmail.objects.update(
        day=datetime.date.today() - datetime.timedelta(days=1),
        sent_at=timezone.now() - datetime.timedelta(days=1),
    )
    smtp_server.clear()
    run()
    assert smtp_server.messages == []
    assert not Convention.objects.to_call().exists()

    # Thirty days after sending: the last reminder, then the flag.
    Convention.objects.filter(pk=convention.pk).update(
        link_sent_at=timezone.now() - datetime.timedelta(days=30)
    )
    ReminderEmail.objects.update(sent_at=timezone.now() - datetime.timedelta(days=15))
    run()
    assert len(smtp_server.messages) == 1
    assert sorted(convention.reminders.values_list("rank", flat=True)) == [1, 2]
    assert list(Convention.objects.to_call()) == [convention]

    # Nothing more to send, ever.
    ReminderEmail.objects.filter(day=timezone.localdate()).update(day=datetime.date(2000, 1, 1))
    smtp_server.clear()
    run()
    assert smtp_server.messages == []

    # Sending the link again starts the count over.
    convention.refresh_from_db()
    send_access_link(convention)
    assert not Convention.objects.to_call().exists()


def test_collectivite_without_email_is_reported_not_a_crash(smtp_server):
    convention = sent_convention(days_ago=15)
    reached = sent_convention(days_ago=15)
    convention.collectivite.emails = ""
    convention.collectivite.save()
    smtp_server.clear()

    _, err = run()

    assert f"Sans adresse e-mail, non relancée — {convention.collectivite}" in err
    assert convention.reference in err
    assert len(smtp_server.messages) == 1
    assert smtp_server.envelopes[0].rcpt_tos == reached.collectivite.email_list()
    assert not convention.reminders.exists()


def test_dry_run_sends_and_writes_nothing(smtp_server):
    convention = sent_convention(days_ago=15)
    smtp_server.clear()
    before = Convention.objects.values().get(pk=convention.pk)

    out, _ = run("--dry-run")

    assert f"Relance à envoyer — {convention.collectivite}" in out
    assert "simulation : rien n'a été envoyé ni enregistré" in out
    assert smtp_server.messages == []
    assert not ReminderEmail.objects.exists()
    assert Convention.objects.values().get(pk=convention.pk) == before


def test_no_token_in_clear_in_the_database(smtp_server):
    sent_convention(days_ago=15)
    smtp_server.clear()
    run()
    (link,) = links(smtp_server.messages[0])
    token = link.rstrip("/").rsplit("/", 1)[1]

    with connection.cursor() as cursor:
        for model in (Convention, Reminder, ReminderEmail):
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")
            for row in cursor.fetchall():
                assert token not in " ".join(map(str, row))


def test_mail_server_down_records_nothing_and_fails(smtp_server, settings):
    convention = sent_convention(days_ago=15)
    hash_before = convention.access_token_hash
    # Nobody listens on that port.
    settings.MAILERS["default"]["OPTIONS"]["port"] = free_port()

    with pytest.raises(CommandError) as error:
        run()

    assert str(error.value) == (
        "1 relance non envoyée (serveur de messagerie) : rien n'a été enregistré pour elle, "
        "relancez la commande plus tard."
    )
    assert not ReminderEmail.objects.exists()
    convention.refresh_from_db()
    assert convention.access_token_hash == hash_before


def test_two_reminders_not_sent_are_counted_in_french(smtp_server, settings):
    sent_convention(days_ago=15)
    sent_convention(days_ago=15)
    settings.MAILERS["default"]["OPTIONS"]["port"] = free_port()

    with pytest.raises(CommandError) as error:
        run()

    assert str(error.value) == (
        "2 relances non envoyées (serveur de messagerie) : rien n'a été enregistré pour elles, "
        "relancez la commande plus tard."
    )


@pytest.mark.parametrize("total, more", [(51, "… et 1 autre."), (52, "… et 2 autres.")])
def test_a_long_list_is_cut_with_its_count_in_french(total, more):
    assert MAX_LISTED == 50
    out = io.StringIO()
    Command().list_more(out, total)
    assert out.getvalue() == more


def test_bad_delays_setting_is_a_french_error(settings):
    settings.REMINDER_DELAYS_DAYS = [30, 15]
    with pytest.raises(CommandError, match="REMINDER_DELAYS_DAYS doit être une liste croissante"):
        run()


def test_reminder_link_opens_the_convention_page(client, smtp_server):
    convention = sent_convention(days_ago=15)
    smtp_server.clear()
    run()
    (link,) = links(smtp_server.messages[0])
    assert client.get(path_of(link)).status_code == 200
    convention.refresh_from_db()
    assert convention.link_opened_at is not None
