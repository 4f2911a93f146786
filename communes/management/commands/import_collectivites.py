from communes.collectivites_import import import_collectivites
from communes.import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Importe ou met à jour des collectivités depuis un fichier CSV ou XLSX (clé : SIRET ; "
        "colonnes décrites dans le README)."
    )
    file_help = "le fichier CSV (« ; » ou « , ») ou XLSX"

    def handle(self, *args, file, dry_run, skip_invalid, **options):
        path = self.existing_file(file)
        self.write_report(import_collectivites(path, dry_run=dry_run, skip_invalid=skip_invalid))
