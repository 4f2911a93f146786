"""send_reminders for 2,400 collectivités on PostgreSQL, through a local SMTP server (aiosmtpd).

Every collectivité has one convention sent 16 days ago and not signed: the first run sends
2,400 e-mails (goal: 60 s at most), a second run the same day sends none.

    .venv/bin/python bench/reminders.py

Runs on its own database (BENCH_REMINDERS_DATABASE_URL, default entconv_bench_reminders on
the local server), dropped and rebuilt at each run.
"""

import datetime
import io
import os
import secrets
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_REMINDERS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/entconv_bench_reminders"
)
COLLECTIVITES = 2400
GOAL_SECONDS = 60.0


from bench._common import recreate_database  # noqa: E402


def fill():
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench._common import create_conventions
    from communes.models import Academie
    from conventions.models import Convention, SchoolYear, Tariff, hash_access_token

    call_command("loaddata", "reference", verbosity=0)
    year, _ = SchoolYear.objects.get_or_create(
        label="2026-2027", defaults={"end_date": datetime.date(2027, 9, 5)}
    )
    for academie in Academie.objects.all():
        Tariff.objects.get_or_create(
            school_year=year, academie=academie, defaults={"rate": Decimal("41.00")}
        )
    create_conventions(year, COLLECTIVITES, 2)
    # Issued and sent 16 days ago, as issuing and "Envoyer le lien" leave them (the PDF
    # itself plays no part in a reminder).
    sent_at = timezone.now() - datetime.timedelta(days=16)
    conventions = list(Convention.objects.all())
    for convention in conventions:
        convention.status = "envoyee"
        convention.issued_rate = Decimal("41.00")
        convention.issued_school_count = 2
        convention.issued_amount = Decimal("82.00")
        convention.issued_at = sent_at
        convention.sent_at = sent_at
        convention.link_created_at = sent_at
        convention.link_sent_at = sent_at
        convention.access_token_hash = hash_access_token(secrets.token_urlsafe(32))
    Convention.objects.bulk_update(
        conventions,
        [
            "status",
            "issued_rate",
            "issued_school_count",
            "issued_amount",
            "issued_at",
            "sent_at",
            "link_created_at",
            "link_sent_at",
            "access_token_hash",
        ],
        batch_size=500,
    )
    # As autovacuum would after such a load: without statistics the planner joins the
    # 2,400 communes in nested loops.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def run():
    from django.core.management import call_command

    out = io.StringIO()
    start, cpu = time.perf_counter(), time.process_time()
    call_command("send_reminders", stdout=out, stderr=out)
    # CPU of this process (the command and the SMTP server's thread): on a loaded machine
    # the wall time mostly measures the wait for a core.
    cpu = time.process_time() - cpu
    return time.perf_counter() - start, cpu, out.getvalue().strip().splitlines()[-1]


def main():
    from tests.smtp_server import SMTPServer

    recreate_database(DATABASE_URL)
    server = SMTPServer().start()
    os.environ.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "MAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "MAIL_HOST": "127.0.0.1",
            "MAIL_PORT": str(server.port),
            "MAIL_USE_TLS": "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entconv.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from conventions.models import Reminder

    try:
        call_command("migrate", verbosity=0, interactive=False)
        fill()
        load = os.getloadavg()[0]
        print(f"Base : {DATABASE_URL} ; charge : {load:.1f} sur {os.cpu_count()} CPU")
        first, cpu, summary = run()
        received = len(server.envelopes)
        print(
            f"1er passage : {first:.1f} s (CPU {cpu:.1f} s) — {summary} — "
            f"{received} e-mail(s) reçu(s) par SMTP"
        )
        second, cpu, summary = run()
        again = len(server.envelopes) - received
        print(
            f"2e passage, même jour : {second:.1f} s (CPU {cpu:.1f} s) — {summary} — "
            f"{again} e-mail(s) reçu(s)"
        )
    finally:
        server.stop()
    ok = received == COLLECTIVITES and again == 0 and Reminder.objects.count() == COLLECTIVITES
    within = first <= GOAL_SECONDS
    print(
        f"send_reminders, {COLLECTIVITES} collectivités : {first:.1f} s "
        f"(objectif ≤ {GOAL_SECONDS:.0f} s) : {'atteint' if within else 'MANQUÉ'} ; "
        f"second passage : {'0 envoi' if again == 0 else f'{again} ENVOIS'}"
    )
    return 0 if ok and within else 1


if __name__ == "__main__":
    sys.exit(main())
