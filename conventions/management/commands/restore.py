import time

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from communes.french import counted
from conventions.backups import restore


class Command(BaseCommand):
    help = (
        "Restaure une sauvegarde de `manage.py backup` sur une base de données et un stockage "
        "vides, après avoir vérifié l'empreinte de chaque fichier, puis lance "
        "`verify_documents`."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DOSSIER", help="dossier de la sauvegarde")

    def handle(self, *args, directory, **options):
        started = time.monotonic()
        try:
            manifest = restore(directory)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"Sauvegarde du {manifest['created_at']} restaurée : la base et "
            f"{counted(len(manifest['files']), 'fichier')}, en {time.monotonic() - started:.1f} s."
        )
        call_command("verify_documents", stdout=self.stdout, stderr=self.stderr)
