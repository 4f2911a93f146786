import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from communes.french import counted
from conventions.backups import backup


class Command(BaseCommand):
    help = (
        "Sauvegarde dans DOSSIER la base de données (pg_dump, ou copie du fichier SQLite) et "
        "tous les fichiers du stockage privé, avec un manifeste de leurs empreintes SHA-256."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DOSSIER", help="dossier absent ou vide")

    def handle(self, *args, directory, **options):
        started = time.monotonic()
        try:
            manifest = backup(directory)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        size = manifest["database"]["size"] + sum(entry["size"] for entry in manifest["files"])
        self.stdout.write(
            f"Sauvegarde écrite dans {directory} : la base et "
            f"{counted(len(manifest['files']), 'fichier')}, {size / 1e6:.1f} Mo, "
            f"en {time.monotonic() - started:.1f} s."
        )
