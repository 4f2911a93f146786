from django.core.management.base import BaseCommand, CommandError

from conventions.renewal import RenewalRefused, renew, report_lines


class Command(BaseCommand):
    help = (
        "Prépare la campagne : reconduit en brouillon, pour l'année cible, chaque convention "
        "en cours de l'année source (mêmes collectivité et écoles, telles qu'elles sont "
        "aujourd'hui dans l'annuaire). Tout ou rien ; une seconde exécution ne crée rien."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="source", required=True, help="année reconduite, ex. 2026-2027"
        )
        parser.add_argument(
            "--to", dest="target", required=True, help="année de la campagne, ex. 2027-2028"
        )
        parser.add_argument(
            "--academie", help="code de l'académie : 16 (Toulouse), 11 (Montpellier)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="montre ce qui serait créé, sans rien écrire"
        )

    def handle(self, *args, source, target, academie, dry_run, verbosity, **options):
        try:
            plan = renew(source, target, academie, dry_run=dry_run)
        except RenewalRefused as error:
            raise CommandError(" ".join(error.messages)) from error
        # Thousands of created drafts: listed one by one only when asked (-v 2).
        for line in report_lines(plan, list_created=verbosity >= 2):
            self.stdout.write(line)
