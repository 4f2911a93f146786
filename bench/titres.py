"""Export of titres de perception on PostgreSQL: time and queries at 1,000 and 10,000 titres.

Runs on its own database (BENCH_TITRES_DATABASE_URL, default entconv_bench_titres on the
local server), dropped and rebuilt at each run. Goal: CSV under 2 s for 10,000 titres, and
the same number of queries whatever the count.
"""

import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_TITRES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/entconv_bench_titres"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entconv.settings")
SIZES = (1_000, 10_000)
CSV_GOAL_SECONDS = 2.0


from bench._common import recreate_database  # noqa: E402

recreate_database(DATABASE_URL)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from communes.models import Academie, Collectivite, Commune, Departement  # noqa: E402
from conventions.enums import ConventionStatus, TitreStatus  # noqa: E402
from conventions.exports import export_titres  # noqa: E402
from conventions.models import Convention, SchoolYear, Titre  # noqa: E402

RATE = Decimal("41.00")


def fill(start, stop, academie, departement, year):
    """Titres `start`..`stop - 1`, each with its commune, collectivité and convention."""
    communes = Commune.objects.bulk_create(
        Commune(insee_code=f"{i:05d}", name=f"Commune {i}", departement=departement)
        for i in range(start, stop)
    )
    collectivites = Collectivite.objects.bulk_create(
        Collectivite(
            # Every hundredth name is hostile, so neutralising is part of the measure.
            name=f'=HYPERLINK("http://x/{i}","y")' if i % 100 == 0 else f"COMMUNE {i}",
            siret=f"{21000000000000 + i}",
            address=f"{i} place de la Mairie",
            postal_code="31000",
            city=f"Commune {i}",
            representative_name="Jean DUPONT",
            representative_title="MAIRE",
            chorus_service_code="FACTURES" if i % 3 == 0 else "",
        )
        for i in range(start, stop)
    )
    conventions = Convention.objects.bulk_create(
        Convention(
            collectivite=collectivite,
            commune=commune,
            school_year=year,
            academie=academie,
            status=ConventionStatus.FACTUREE,
            issued_rate=RATE,
            issued_school_count=1 + i % 7,
            issued_amount=RATE * (1 + i % 7),
        )
        for i, collectivite, commune in zip(
            range(start, stop), collectivites, communes, strict=True
        )
    )
    Titre.objects.bulk_create(
        Titre(
            convention=convention,
            academie=academie,
            status=TitreStatus.PAYE if i % 4 == 0 else TitreStatus.EMIS,
            exercice=2026,
            sequence=i + 1,
            number=Titre.format_number(academie.code, 2026, i + 1),
            amount=convention.issued_amount,
            school_count=convention.issued_school_count,
            rate=RATE,
            debtor_name=convention.collectivite.name,
            debtor_siret=convention.collectivite.siret,
            debtor_address=convention.collectivite.full_address(),
            debtor_service_code=convention.collectivite.chorus_service_code,
            object=f"Participation ENT-École 2026-2027 – {convention.issued_school_count} écoles",
            convention_reference=f"ENT-2026-2027-16-{i:05d}-01",
            issue_date=date(2026, 11, 23),
            paid_on=date(2027, 1, 15) if i % 4 == 0 else None,
            amount_paid=convention.issued_amount if i % 4 == 0 else None,
        )
        for i, convention in zip(range(start, stop), conventions, strict=True)
    )


def measure(file_format):
    titres = Titre.objects.filter(convention__school_year__label="2026-2027").order_by("sequence")
    with CaptureQueriesContext(connection) as queries:
        started, cpu_started = time.perf_counter(), time.process_time()
        content, dataset = export_titres(titres, file_format)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return elapsed, cpu, len(queries), len(content), dataset.height


def main():
    call_command("migrate", verbosity=0)
    academie = Academie.objects.create(code="16", name="Toulouse", signing_city="Toulouse")
    departement = Departement.objects.create(code="031", name="Haute-Garonne", academie=academie)
    year = SchoolYear.objects.create(label="2026-2027")

    print(f"Base : {DATABASE_URL} ; charge : {os.getloadavg()[0]:.1f} sur {os.cpu_count()} CPU")
    # CPU time too: on a loaded machine the wall clock also counts other processes.
    print(f"{'titres':>7} {'format':>6} {'durée':>8} {'CPU':>8} {'requêtes':>9} {'octets':>10}")
    results = {}
    done = 0
    for size in SIZES:
        fill(done, size, academie, departement, year)
        done = size
        for file_format in ("csv", "xlsx"):
            elapsed, cpu, queries, length, rows = measure(file_format)
            assert rows == size, (rows, size)
            results[size, file_format] = elapsed, queries
            print(
                f"{size:>7} {file_format:>6} {elapsed:>7.2f}s {cpu:>7.2f}s {queries:>9} "
                f"{length:>10}"
            )

    ok = True
    for file_format in ("csv", "xlsx"):
        counts = {results[size, file_format][1] for size in SIZES}
        constant = len(counts) == 1
        ok &= constant
        print(
            f"Requêtes {file_format} : {'constantes' if constant else 'VARIABLES'} "
            f"({' / '.join(str(results[size, file_format][1]) for size in SIZES)})"
        )
    csv_time = results[SIZES[-1], "csv"][0]
    within = csv_time < CSV_GOAL_SECONDS
    ok &= within
    print(
        f"CSV {SIZES[-1]} titres : {csv_time:.2f}s (objectif < {CSV_GOAL_SECONDS:.0f} s) : "
        f"{'atteint' if within else 'MANQUÉ'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
