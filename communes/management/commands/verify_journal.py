from django.core.management.base import BaseCommand, CommandError

from communes.journal import verify


class Command(BaseCommand):
    help = "Vérifie la chaîne d'empreintes SHA-256 du journal et nomme la première ligne rompue."

    def handle(self, *args, **options):
        count, breaks = verify()
        if breaks:
            lines = [f"Journal altéré : première ligne rompue, {breaks[0]}."]
            lines += [f"  – {found}" for found in breaks]
            lines.append(f"{count} ligne(s) lue(s).")
            raise CommandError("\n".join(lines))
        self.stdout.write(f"Journal intègre : {count} ligne(s) vérifiée(s), chaîne complète.")
