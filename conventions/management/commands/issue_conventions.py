from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from communes.french import counted, pluralize
from conventions.batch import issue_many
from conventions.enums import ConventionStatus
from conventions.issuing import finish_renames
from conventions.models import Convention
from conventions.private_storage import STORAGE_ERRORS


class Command(BaseCommand):
    help = (
        "Émet toutes les conventions en brouillon d'une année (et d'une académie) : une "
        "convention déjà émise est ignorée, une convention incomplète est signalée sans "
        "arrêter les autres."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="année scolaire, ex. 2026-2027")
        parser.add_argument(
            "--academie", help="code de l'académie : 16 (Toulouse), 11 (Montpellier)"
        )
        parser.add_argument("--workers", type=int, default=1, help="processus en parallèle")
        parser.add_argument(
            "--recycle",
            type=int,
            default=200,
            help="documents par processus avant de le remplacer (la mémoire de WeasyPrint "
            "croît dans un long processus)",
        )

    def handle(self, *args, year, academie, workers, recycle, **options):
        conventions = Convention.objects.filter(school_year__label=year)
        if academie:
            conventions = conventions.filter(academie__code=academie)
        # A run killed (with its workers) between a commit and its rename left the PDF under
        # its pending name: this run finishes the job. The drafts it was issuing are issued
        # again below, their pending files replaced.
        self.finish_renames(conventions)
        drafts = conventions.filter(status=ConventionStatus.BROUILLON)
        pks = list(
            drafts.order_by("academie__code", "commune__insee_code").values_list("pk", flat=True)
        )
        if not pks:
            self.stdout.write(f"Aucune convention en brouillon pour {year} : rien à émettre.")
            return
        failures = []
        issued = 0
        with tqdm(total=len(pks), desc="Émission", unit="convention", file=self.stderr) as bar:
            for reference, error in issue_many(pks, workers=workers, recycle=recycle):
                bar.update()
                if error:
                    failures.append((reference, error))
                else:
                    issued += 1
        self.finish_renames(conventions)
        done = f"{counted(issued, 'convention')} émise{pluralize(issued)}"
        self.stdout.write(f"{done} sur {len(pks)}.")
        for reference, error in failures:
            self.stderr.write(f"Non émise — {reference} : {error}")
        if failures:
            count = len(failures)
            raise CommandError(
                f"{counted(count, 'convention')} non émise{pluralize(count)} : voir ci-dessus."
            )

    def finish_renames(self, conventions):
        try:
            renamed = finish_renames(conventions)
        except STORAGE_ERRORS as error:
            # The storage is down: each convention's issuing reports it below.
            self.stderr.write(
                f"Stockage des fichiers injoignable, PDF en attente non vérifiés : {error!r}"
            )
            return
        if renamed:
            name = "leur nom définitif" if renamed >= 2 else "son nom définitif"
            self.stdout.write(
                f"{renamed} PDF d'une émission interrompue renommé{pluralize(renamed)} "
                f"sous {name}."
            )
