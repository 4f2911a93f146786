"""Admin pages at scale: 5,000 schools and 2,500 conventions on PostgreSQL.

Measures, for the conventions and schools changelists and a convention change page, the
number of SQL queries per page and the median server time (Django test client, in process,
so the figure is the server's work without network). Goal: at most 15 queries, median
under 150 ms. Measured as a superuser, then as an agent of the académie de Toulouse
(group « Gestion des conventions », scope 16: every query filtered by académie).

    .venv/bin/python bench/admin.py
"""

import sys

from _common import create_conventions, setup_django, timed, verified_client

setup_django("entconv_bench_admin")

from decimal import Decimal  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from communes.models import Academie, AgentScope  # noqa: E402
from conventions.models import Convention, SchoolYear, Tariff  # noqa: E402
from schools.models import School  # noqa: E402
from schools.validators import uai_check_letter  # noqa: E402

SCHOOLS = 5000
CONVENTIONS = 2500
REPEAT = 15
VERBOSE = "-v" in sys.argv


def fill():
    call_command("flush", interactive=False, verbosity=0)
    call_command("loaddata", "reference", verbosity=0)
    year = SchoolYear.objects.get(label="2026-2027")
    for academie in Academie.objects.all():
        Tariff.objects.get_or_create(
            school_year=year, academie=academie, defaults={"rate": Decimal("41.00")}
        )
    conventions = create_conventions(year, CONVENTIONS, SCHOOLS // CONVENTIONS)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return conventions[0]


def toulouse_agent():
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    # flush emptied the groups the migrations create: build them again with their code.
    for name, function in [
        ("0006_comptabilite_group", "create_group"),
        ("0007_gestion_group", "create_group"),
        ("0008_perms_convention_permissions", "update_groups"),
        ("0009_administration_group", "create_group"),
    ]:
        getattr(importlib.import_module(f"conventions.migrations.{name}"), function)(apps, None)
    user = get_user_model().objects.create_user("bench-toulouse", is_staff=True)
    user.groups.add(Group.objects.get(name="Gestion des conventions"))
    AgentScope.objects.create(user=user, academie=Academie.objects.get(code="16"))
    return user


def main():
    # Keep one connection for the whole run, as a server with CONN_MAX_AGE does, and let
    # CaptureQueriesContext see every query of a request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    convention = fill()
    # Bulk-created rows have no history: give the measured one a few changes of its own.
    for day in range(1, 11):
        convention.document_date = convention.document_date.replace(day=day)
        convention.save()
    print(
        f"{School.objects.count()} écoles, {Convention.objects.count()} conventions "
        f"({connection.vendor})"
    )
    superuser = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
    ok = measure("superutilisateur", superuser, convention)
    toulouse = Convention.objects.filter(academie__code="16").order_by("pk").first()
    ok &= measure("agent de Toulouse (gestion, périmètre 16)", toulouse_agent(), toulouse)
    print("objectif (≤ 15 requêtes, médiane < 150 ms) :", "atteint" if ok else "NON atteint")


def measure(who, user, convention):
    client = verified_client(user)
    pages = {
        "conventions (liste)": reverse("admin:conventions_convention_changelist"),
        "écoles (liste)": reverse("admin:schools_school_changelist"),
        "convention (fiche)": reverse("admin:conventions_convention_change", args=[convention.pk]),
        "convention (historique)": reverse(
            "admin:conventions_convention_history", args=[convention.pk]
        ),
        "conventions (recherche)": reverse("admin:conventions_convention_changelist")
        + "?q=commune+12",
        "conventions (recherche UAI)": reverse("admin:conventions_convention_changelist")
        + "?q=5000012"
        + uai_check_letter("5000012"),
    }
    print(f"-- {who}")
    print(f"{'page':28} {'requêtes':>9} {'médiane':>10} {'max':>9}")
    ok = True
    for label, url in pages.items():
        client.get(url)  # warm up
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        query_count = len(queries)
        assert response.status_code == 200, (label, response.status_code)
        if VERBOSE:
            for query in sorted(queries, key=lambda q: -float(q["time"]))[:3]:
                print(f"   {query['time']} s  {query['sql'][:300]}")
        median, durations = timed(lambda url=url: client.get(url), REPEAT)
        slowest = max(durations) * 1000
        print(f"{label:28} {query_count:>9} {median * 1000:>8.1f} ms {slowest:>6.1f} ms")
        ok &= query_count <= 15 and median < 0.150
    return ok


if __name__ == "__main__":
    main()
