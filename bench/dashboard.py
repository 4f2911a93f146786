"""The campaign dashboard at scale, on PostgreSQL: 5 campaigns (12,000 conventions, 60,000
enrollments, 8,000 titres).

Measures the dashboard of the latest year and its XLSX export after one campaign and after
five: SQL queries per request and median server time (Django test client, in process).
Goal: the same number of queries at 1 and at 5 campaigns, median ≤ 150 ms.

    .venv/bin/python bench/dashboard.py
"""

import datetime
import sys
from decimal import Decimal

from _common import setup_django, timed, verified_client

setup_django("entconv_bench_dashboard")

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection, reset_queries, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from stdnum import luhn  # noqa: E402

from communes.models import Collectivite, Commune, Departement  # noqa: E402
from conventions.enums import ConventionStatus, TitreStatus  # noqa: E402
from conventions.models import Convention, Enrollment, SchoolYear, Titre  # noqa: E402
from schools.models import School  # noqa: E402
from schools.validators import uai_check_letter  # noqa: E402

S = ConventionStatus
COMMUNES = 2_400
SCHOOLS_PER_COMMUNE = 5
TITRES_PER_CAMPAIGN = 1_600
YEARS = ["2026-2027", "2025-2026", "2024-2025", "2023-2024", "2022-2023"]
RATE = Decimal("41.00")
REPEAT = 20
GOAL_SECONDS = 0.150
VERBOSE = "-v" in sys.argv
PARIS = datetime.timezone(datetime.timedelta(hours=2))


def status_of(rank):
    """A campaign well under way: two thirds billed, the rest on its way, a few cancelled."""
    for limit, status in [
        (TITRES_PER_CAMPAIGN, S.FACTUREE),
        (1_900, S.SIGNEE_ACADEMIE),
        (2_100, S.SIGNEE_COLLECTIVITE),
        (2_250, S.ENVOYEE),
        (2_350, S.EMISE),
        (2_390, S.BROUILLON),
    ]:
        if rank < limit:
            return status
    return S.ANNULEE


def territory():
    departements = list(Departement.objects.select_related("academie"))
    communes = Commune.objects.bulk_create(
        Commune(
            insee_code=f"{10000 + i:05d}",
            name=f"Commune {i}",
            postal_code="31000",
            departement=departements[i % len(departements)],
        )
        for i in range(COMMUNES)
    )
    collectivites = Collectivite.objects.bulk_create(
        Collectivite(
            name=f"COMMUNE {i}",
            siret=(body := f"2{i:012d}") + luhn.calc_check_digit(body),
            address=f"{i} place de la Mairie",
            postal_code="31000",
            city=f"Commune {i}",
            representative_name=f"Prénom NOM {i}",
            representative_title="Maire",
        )
        for i in range(COMMUNES)
    )
    Collectivite.communes.through.objects.bulk_create(
        Collectivite.communes.through(collectivite=c, commune=m)
        for c, m in zip(collectivites, communes, strict=True)
    )
    schools = School.objects.bulk_create(
        School(
            uai=(digits := f"{5000000 + i:07d}") + uai_check_letter(digits),
            name=f"Ecole primaire publique {i}",
            kind="primaire",
            commune=communes[i // SCHOOLS_PER_COMMUNE],
            # One in fifty closed since: the coverage counts the open ones.
            status="ferme" if i % 50 == 49 else "ouvert",
        )
        for i in range(COMMUNES * SCHOOLS_PER_COMMUNE)
    )
    return communes, collectivites, schools


def add_campaign(label, communes, collectivites, schools):
    year = SchoolYear.objects.get(label=label)
    start = int(label[:4])
    conventions = []
    for rank, (commune, collectivite) in enumerate(zip(communes, collectivites, strict=True)):
        status = status_of(rank)
        issued = status not in (S.BROUILLON,)
        signed = status in (S.SIGNEE_COLLECTIVITE, S.SIGNEE_ACADEMIE, S.FACTUREE)
        signed_at = datetime.datetime(start, 4, 1, 10, tzinfo=PARIS) + datetime.timedelta(
            days=rank % 112
        )
        conventions.append(
            Convention(
                collectivite=collectivite,
                commune=commune,
                school_year=year,
                academie=commune.departement.academie,
                status=status,
                issued_rate=RATE if issued else None,
                issued_school_count=SCHOOLS_PER_COMMUNE if issued else None,
                issued_amount=RATE * SCHOOLS_PER_COMMUNE if issued else None,
                signed_by_collectivite_at=signed_at if signed else None,
                signed_by_academie_at=signed_at + datetime.timedelta(days=9)
                if status in (S.SIGNEE_ACADEMIE, S.FACTUREE)
                else None,
            )
        )
    conventions = Convention.objects.bulk_create(conventions)
    Enrollment.objects.bulk_create(
        (
            Enrollment(
                convention=conventions[i // SCHOOLS_PER_COMMUNE],
                school=school,
                school_year=year,
                active=conventions[i // SCHOOLS_PER_COMMUNE].status != S.ANNULEE,
            )
            for i, school in enumerate(schools)
        ),
        batch_size=5_000,
    )
    Titre.objects.bulk_create(
        Titre(
            convention=convention,
            academie=convention.academie,
            status=TitreStatus.PAYE if rank % 3 else TitreStatus.EMIS,
            exercice=start,
            sequence=rank + 1,
            number=f"TP-{start}-{convention.academie.code}-{rank + 1:06d}",
            amount=convention.issued_amount,
            amount_paid=convention.issued_amount if rank % 3 else None,
            school_count=SCHOOLS_PER_COMMUNE,
            rate=RATE,
            issue_date=datetime.date(start, 9, 1),
            paid_on=datetime.date(start, 10, 1) if rank % 3 else None,
        )
        for rank, convention in enumerate(conventions[:TITRES_PER_CAMPAIGN])
    )


def measure(client, label):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"{label} : {Convention.objects.count()} conventions, {Enrollment.objects.count()} "
        f"écoles inscrites, {Titre.objects.count()} titres"
    )
    results = {}
    for page, url in [
        ("tableau de bord", "/admin/tableau-de-bord/"),
        ("export XLSX", "/admin/tableau-de-bord/export.xlsx"),
    ]:
        client.get(url)  # warm up
        # Each request empties the connection's log (request_started): start from empty.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        # Read now: the next request empties the connection's log.
        captured = list(queries.captured_queries)
        assert response.status_code == 200, (page, response.status_code)
        median, durations = timed(lambda url=url: client.get(url), REPEAT)
        print(
            f"  {page:16} {len(captured):>3} requêtes  médiane {median * 1000:6.1f} ms  "
            f"max {max(durations) * 1000:6.1f} ms"
        )
        results[page] = (len(captured), median)
        if VERBOSE:
            for query in sorted(captured, key=lambda q: -float(q["time"]))[:4]:
                print(f"     {query['time']} s  {query['sql'][:200]}")
    return results


def main():
    # One connection for the whole run, as a server with CONN_MAX_AGE keeps it, so that
    # CaptureQueriesContext sees every query of a request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    call_command("flush", interactive=False, verbosity=0)
    call_command("loaddata", "reference", verbosity=0)
    with transaction.atomic():
        communes, collectivites, schools = territory()
        add_campaign(YEARS[0], communes, collectivites, schools)
    user = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
    client = verified_client(user)
    one = measure(client, "1 campagne")
    with transaction.atomic():
        for label in YEARS[1:]:
            add_campaign(label, communes, collectivites, schools)
    five = measure(client, "5 campagnes")
    same_queries = all(one[page][0] == five[page][0] for page in one)
    fast = five["tableau de bord"][1] <= GOAL_SECONDS
    print(
        "objectif (mêmes requêtes à 1 et 5 campagnes, médiane ≤ 150 ms) :",
        "atteint" if same_queries and fast else "NON atteint",
    )
    return 0 if same_queries and fast else 1


if __name__ == "__main__":
    sys.exit(main())
