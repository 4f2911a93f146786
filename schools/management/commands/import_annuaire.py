from tqdm import tqdm

from communes.import_command import ImportCommand
from schools.annuaire import import_annuaire


class Command(ImportCommand):
    help = (
        "Importe les écoles du premier degré d'un export CSV de l'annuaire de l'éducation "
        "(fr-en-annuaire-education) pour les académies connues de l'application."
    )
    file_help = "le fichier CSV de l'annuaire (séparateur « ; »)"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--complete",
            action="store_true",
            help=(
                "le fichier est l'export complet des académies qu'il contient : leurs écoles "
                "absentes du fichier sont marquées fermées"
            ),
        )

    def handle(self, *args, file, dry_run, skip_invalid, complete, **options):
        path = self.existing_file(file)
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
        self.write_report(report)
