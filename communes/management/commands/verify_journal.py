from django.core.management.base import BaseCommand, CommandError

from communes.french import counted, pluralize
from communes.journal import verify


class Command(BaseCommand):
    help = "Vérifie la chaîne d'empreintes SHA-256 du journal et nomme la première ligne rompue."

    def handle(self, *args, **options):
        count, breaks = verify()
        if breaks:
            lines = [f"Journal altéré : première ligne rompue, {breaks[0]}."]
            lines += [f"  – {found}" for found in breaks]
            lines.append(f"{counted(count, 'ligne')} lue{pluralize(count)}.")
            raise CommandError("\n".join(lines))
        checked = f"{counted(count, 'ligne')} vérifiée{pluralize(count)}"
        self.stdout.write(f"Journal intègre : {checked}, chaîne complète.")
