from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from communes.french import counted, pluralize
from conventions.reminders import send_reminders

# Beyond this, a list is cut: the count says how many were left out.
MAX_LISTED = 50


def describe(due):
    references = ", ".join(convention.reference for convention in due.conventions)
    return f"{due.collectivite} ({references})"


class Command(BaseCommand):
    help = (
        "Relance par e-mail les collectivités qui n'ont pas signé leur convention, aux délais "
        "REMINDER_DELAYS_DAYS après l'envoi du lien : un e-mail par collectivité, jamais deux "
        "le même jour. À lancer chaque jour (cron ou minuterie systemd)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="affiche les relances dues sans rien envoyer ni enregistrer",
        )

    def handle(self, *args, dry_run, **options):
        try:
            report = send_reminders(dry_run=dry_run)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        each = "à envoyer" if dry_run else "envoyée"
        for due, recipients in report.sent[:MAX_LISTED]:
            self.stdout.write(f"Relance {each} — {describe(due)} : {', '.join(recipients)}")
        self.list_more(self.stdout, len(report.sent))
        sent = len(report.sent)
        self.stdout.write(
            f"{counted(sent, 'e-mail')} de relance "
            + ("à envoyer" if dry_run else f"envoyé{pluralize(sent)}")
            + f" pour {counted(report.reminded_conventions, 'convention')}"
            + (" (simulation : rien n'a été envoyé ni enregistré)." if dry_run else ".")
        )
        if count := len(report.already_today):
            self.stdout.write(
                f"{counted(count, 'collectivité')} déjà relancée{pluralize(count)} "
                "aujourd'hui : rien de plus avant demain."
            )
        for due in report.without_email[:MAX_LISTED]:
            self.stderr.write(
                f"Sans adresse e-mail, non relancée — {describe(due)} : ajoutez une adresse "
                "à la collectivité ou appelez-la."
            )
        self.list_more(self.stderr, len(report.without_email))
        for due, error in report.failed[:MAX_LISTED]:
            self.stderr.write(f"Échec de l'envoi — {describe(due)} : {error}")
        self.list_more(self.stderr, len(report.failed))
        if count := len(report.failed):
            raise CommandError(
                f"{counted(count, 'relance')} non envoyée{pluralize(count)} (serveur de "
                f"messagerie) : rien n'a été enregistré pour elle{pluralize(count)}, relancez "
                "la commande plus tard."
            )

    def list_more(self, stream, total):
        if total > MAX_LISTED:
            stream.write(f"… et {counted(total - MAX_LISTED, 'autre')}.")
