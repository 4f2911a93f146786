from django.core.management.base import BaseCommand, CommandError

from communes.french import counted, pluralize
from conventions.stored_documents import audit, finish_interrupted

SHOWN = 100


class Command(BaseCommand):
    help = (
        "Compare le stockage privé aux conventions : fichiers qu'aucune convention ne désigne, "
        "fichiers manquants, PDF émis dont l'empreinte SHA-256 a changé."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair",
            action="store_true",
            help="donne leur nom définitif aux PDF d'une émission enregistrée mais interrompue "
            "avant le renommage (empreinte vérifiée) ; ne supprime rien",
        )

    def handle(self, *args, repair, **options):
        result = audit()
        if result.interrupted:
            if repair:
                finish_interrupted(result)
                for _, final in result.interrupted:
                    self.stdout.write(f"Émission terminée : {final}")
            else:
                for pending, final in result.interrupted:
                    self.stderr.write(
                        f"Émission interrompue avant le renommage : {pending} → {final} "
                        "(relancez avec --repair)"
                    )
        lines = [f"Fichier qu'aucune convention ne désigne : {name}" for name in result.stray]
        lines += [
            f"Fichier manquant — {reference} ({label}) : {name}"
            for reference, label, name in result.missing
        ]
        lines += [
            f"Empreinte SHA-256 différente — {reference} : {name} a été modifié depuis l'émission"
            for reference, name in result.tampered
        ]
        for line in lines[:SHOWN]:
            self.stderr.write(line)
        if len(lines) > SHOWN:
            more = counted(len(lines) - SHOWN, "autre anomalie", "autres anomalies")
            self.stderr.write(f"… et {more}.")
        missing, tampered = len(result.missing), len(result.tampered)
        self.stdout.write(
            f"{counted(result.checked, 'fichier')} examiné{pluralize(result.checked)} : "
            f"{len(result.stray)} sans convention, {missing} manquant{pluralize(missing)}, "
            f"{tampered} modifié{pluralize(tampered)}."
        )
        if lines or (result.interrupted and not repair):
            total = len(lines) + (0 if repair else len(result.interrupted))
            raise CommandError(
                f"{counted(total, 'anomalie')} dans les documents : voir ci-dessus."
            )
