from datetime import date
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from communes.french import pluralize
from conventions import billing
from conventions.management.commands._titres_options import add_scope_arguments, scope
from conventions.templatetags.money import euros


def french_date(value):
    try:
        day, month, year = (int(part) for part in value.split("/"))
        return date(year, month, day)
    except ValueError:
        raise CommandError(f"--date : « {value} » n'est pas une date jj/mm/aaaa.") from None


class Command(BaseCommand):
    help = (
        "Émet un titre de perception pour chaque convention signée par les deux parties "
        "et pas encore facturée."
    )

    def add_arguments(self, parser):
        add_scope_arguments(parser)
        parser.add_argument("--date", help="date d'émission jj/mm/aaaa (par défaut : aujourd'hui)")

    def handle(self, *args, **options):
        year, academie = scope(options)
        on = french_date(options["date"]) if options["date"] else None
        conventions = list(billing.billable_conventions(year, academie))
        issued, errors = [], []
        progress = tqdm(
            billing.issue_titres(conventions, on=on),
            total=len(conventions),
            desc="Émission des titres",
            unit=" titre",
            file=self.stderr,
            disable=options["verbosity"] == 0,
        )
        for convention, titre, error in progress:
            if titre:
                issued.append(titre)
            else:
                errors.append(f"{convention.reference} : {error}")
        total = sum((titre.amount for titre in issued), start=Decimal("0.00"))
        if issued:
            self.stdout.write(
                f"{len(issued)} titre{pluralize(len(issued))} émis, "
                f"de {issued[0].number} à {issued[-1].number} ; total {euros(total)}."
            )
        else:
            self.stdout.write(f"Aucune convention à facturer pour {year}.")
        for error in errors:
            self.stderr.write(error)
        if errors:
            raise CommandError(
                f"{len(errors)} convention{pluralize(len(errors))} non facturée"
                f"{pluralize(len(errors))} : voir ci-dessus."
            )
