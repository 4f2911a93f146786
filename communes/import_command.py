"""What the file-import commands share: the file argument, --dry-run, --skip-invalid, the
file check and the report (refused: an error exit with every reason)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from communes.journal import acting_as


class ImportCommand(BaseCommand):
    file_help = "le fichier à importer"

    def add_arguments(self, parser):
        parser.add_argument("file", help=self.file_help)
        parser.add_argument(
            "--dry-run", action="store_true", help="affiche le rapport sans rien enregistrer"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="importe les lignes valides et liste les autres (par défaut, tout est refusé)",
        )

    def execute(self, *args, **options):
        # No user runs a command: its history rows and journal entries name it instead.
        with acting_as(f"commande {self.__module__.rsplit('.', 1)[-1]}"):
            return super().execute(*args, **options)

    def existing_file(self, file):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        return path

    def write_report(self, report):
        if report.refused:
            raise CommandError("\n".join(report.lines()))
        self.stdout.write("\n".join(report.lines()))
