from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from schools.annuaire import import_annuaire


class Command(BaseCommand):
    help = (
        "Importe les écoles du premier degré d'un export CSV de l'annuaire de l'éducation "
        "(fr-en-annuaire-education) pour les académies connues de l'application."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="le fichier CSV de l'annuaire (séparateur « ; »)")
        parser.add_argument(
            "--dry-run", action="store_true", help="affiche le rapport sans rien enregistrer"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="importe les lignes valides et liste les autres (par défaut, tout est refusé)",
        )
        parser.add_argument(
            "--complete",
            action="store_true",
            help=(
                "le fichier est l'export complet des académies qu'il contient : leurs écoles "
                "absentes du fichier sont marquées fermées"
            ),
        )

    def handle(self, *args, file, dry_run, skip_invalid, complete, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        with tqdm(
            total=path.stat().st_size * 2,  # read twice: validation, then writing
            unit="o",
            unit_scale=True,
            desc="Lecture de l'annuaire",
            file=self.stderr._out,
            disable=options["verbosity"] == 0,
        ) as bar:
            report = import_annuaire(
                path,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                complete=complete,
                progress=bar.update,
            )
        if report.refused:
            raise CommandError("\n".join(report.lines()))
        self.stdout.write("\n".join(report.lines()))
