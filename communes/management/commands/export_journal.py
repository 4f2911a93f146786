import sys

from django.core.management.base import BaseCommand, CommandError

from communes.french import counted, pluralize
from communes.journal import export_lines


class Command(BaseCommand):
    help = "Exporte le journal en JSON Lines (une ligne par événement, empreintes comprises)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="fichier à écrire (par défaut : la sortie standard)")

    def handle(self, *args, output=None, **options):
        if output is None:
            count = self.write(sys.stdout)
        else:
            try:
                with open(output, "x", encoding="utf-8") as file:
                    count = self.write(file)
            except FileExistsError:
                message = f"Le fichier {output} existe déjà : rien n'a été écrit."
                raise CommandError(message) from None
            except OSError as error:
                raise CommandError(f"Impossible d'écrire {output} : {error.strerror}.") from None
            exported = f"{counted(count, 'événement')} exporté{pluralize(count)}"
            self.stderr.write(f"{exported} dans {output}.")

    def write(self, file):
        count = 0
        for line in export_lines():
            file.write(line + "\n")
            count += 1
        return count
