from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from conventions.issuing import issued_pdf
from conventions.models import Convention
from conventions.pdf import ConventionDocument


class Command(BaseCommand):
    help = (
        "Écrit le PDF d'une convention : le fichier émis si elle est émise, sinon un projet "
        "(filigrane PROJET)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="année scolaire, ex. 2026-2027")
        parser.add_argument("--siret", required=True, help="SIRET de la collectivité")
        parser.add_argument(
            "--commune",
            help="code INSEE de la commune, si la collectivité signe pour plusieurs communes",
        )
        parser.add_argument("--output", required=True, type=Path, help="fichier PDF à écrire")

    def handle(self, *args, year, siret, commune, output, **options):
        conventions = (
            Convention.objects.active()
            .filter(school_year__label=year, collectivite__siret=siret.replace(" ", ""))
            .select_related("collectivite", "commune", "school_year", "academie")
        )
        if commune:
            conventions = conventions.filter(commune__insee_code=commune)
        conventions = list(conventions)
        if not conventions:
            raise CommandError(
                f"Aucune convention en cours pour le SIRET {siret} en {year}"
                + (f" et la commune {commune}." if commune else ".")
            )
        if len(conventions) > 1:
            choices = ", ".join(f"{c.commune.insee_code} ({c.commune.name})" for c in conventions)
            raise CommandError(
                f"La collectivité a {len(conventions)} conventions en {year} : précisez "
                f"--commune parmi {choices}."
            )
        [convention] = conventions
        try:
            if convention.is_issued:
                content = issued_pdf(convention)
            else:
                content = ConventionDocument.for_draft(convention).render(draft=True)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        output.write_bytes(content)
        kind = "PDF émis" if convention.is_issued else "projet"
        self.stdout.write(f"{convention.reference} : {kind} écrit dans {output}")
