from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from communes.collectivites_import import import_collectivites


class Command(BaseCommand):
    help = (
        "Importe ou met à jour des collectivités depuis un fichier CSV ou XLSX (clé : SIRET ; "
        "colonnes décrites dans le README)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="le fichier CSV (« ; » ou « , ») ou XLSX")
        parser.add_argument(
            "--dry-run", action="store_true", help="affiche le rapport sans rien enregistrer"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="importe les lignes valides et liste les autres (par défaut, tout est refusé)",
        )

    def handle(self, *args, file, dry_run, skip_invalid, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        report = import_collectivites(path, dry_run=dry_run, skip_invalid=skip_invalid)
        if report.refused:
            raise CommandError("\n".join(report.lines()))
        self.stdout.write("\n".join(report.lines()))
