from django.core.management.base import CommandError

from communes.models import Academie
from conventions.models import SchoolYear


def add_scope_arguments(parser):
    parser.add_argument("--year", required=True, help="année scolaire, ex. 2026-2027")
    parser.add_argument("--academie", help="code de l'académie : 16 (Toulouse), 11 (Montpellier)")


def scope(options):
    """(SchoolYear, Academie or None) from --year and --academie, or a French error."""
    try:
        year = SchoolYear.objects.get(label=options["year"])
    except SchoolYear.DoesNotExist:
        known = ", ".join(SchoolYear.objects.values_list("label", flat=True))
        raise CommandError(
            f"--year : année scolaire « {options['year']} » inconnue (connues : {known})."
        ) from None
    academie = None
    if options["academie"]:
        try:
            academie = Academie.objects.get(code=options["academie"])
        except Academie.DoesNotExist:
            known = ", ".join(Academie.objects.values_list("code", flat=True))
            raise CommandError(
                f"--academie : code « {options['academie']} » inconnu (codes : {known})."
            ) from None
    return year, academie
