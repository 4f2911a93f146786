from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from conventions.enums import TitreStatus
from conventions.exports import EXPORT_FORMATS, export_titres, summary_lines
from conventions.management.commands._titres_options import add_scope_arguments, scope
from conventions.models import Titre
from conventions.templatetags.money import euros


class Command(BaseCommand):
    help = "Exporte les titres de perception pour la comptabilité (CSV pour Excel, ou XLSX)."

    def add_arguments(self, parser):
        add_scope_arguments(parser)
        parser.add_argument("--status", choices=TitreStatus.values, help="statut des titres")
        parser.add_argument("--format", required=True, choices=sorted(EXPORT_FORMATS))
        parser.add_argument("--output", required=True, help="fichier à écrire")

    def handle(self, *args, **options):
        year, academie = scope(options)
        titres = Titre.objects.filter(convention__school_year=year)
        if academie:
            titres = titres.filter(academie=academie)
        if options["status"]:
            titres = titres.filter(status=options["status"])
        titres = titres.order_by("academie__code", "exercice", "sequence", "pk")
        content, dataset = export_titres(titres, options["format"])
        output = Path(options["output"])
        try:
            output.write_bytes(content)
        except OSError as error:
            raise CommandError(f"--output : impossible d'écrire {output} ({error}).") from None
        for label, total in summary_lines(dataset):
            self.stdout.write(f"{label} ; montant TTC {euros(total)}")
        self.stdout.write(f"Fichier écrit : {output}")
