"""Shared set-up for the benchmarks: a dedicated PostgreSQL database, Django configured."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def recreate_database(url):
    """Drop and create the database of `url` (a PostgreSQL URL), for a run from scratch."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    try:
        with psycopg.connect(url, dbname="postgres", autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            server.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        sys.exit(f"PostgreSQL injoignable ({url}) : {error}")


def setup_django(database="entconv_bench"):
    import psycopg

    url = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}")
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entconv.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", verbosity=0, interactive=False)
    return url


def timed(function, repeat):
    durations = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations), durations


def create_conventions(year, count, schools_per_convention, first_insee=10000):
    """`count` communes, each with its collectivité, open public schools and a complete
    draft convention for `year` enrolling them, in bulk; returns the conventions.

    Names read "Commune 12" / "COMMUNE 12" (bench/admin.py searches them).
    """
    import datetime

    from django.db import transaction
    from stdnum import luhn

    from communes.models import Collectivite, Commune, Departement
    from conventions.models import Convention, Enrollment
    from schools.models import School
    from schools.validators import uai_check_letter

    departements = list(Departement.objects.select_related("academie"))
    with transaction.atomic():
        communes = Commune.objects.bulk_create(
            Commune(
                insee_code=f"{first_insee + i:05d}",
                name=f"Commune {i}",
                postal_code="31000",
                departement=departements[i % len(departements)],
            )
            for i in range(count)
        )
        collectivites = Collectivite.objects.bulk_create(
            Collectivite(
                kind="commune",
                name=f"COMMUNE {i}",
                siret=(body := f"2{i:012d}") + luhn.calc_check_digit(body),
                address=f"{i} place de la Mairie",
                postal_code="31000",
                city=f"Commune {i}",
                representative_name=f"Prénom NOM {i}",
                representative_title="Maire",
                emails=f"mairie{i}@example.fr",
            )
            for i in range(count)
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
                sector="public",
                commune=communes[i // schools_per_convention],
            )
            for i in range(count * schools_per_convention)
        )
        conventions = Convention.objects.bulk_create(
            Convention(
                collectivite=c,
                commune=m,
                school_year=year,
                academie=m.departement.academie,
                document_date=datetime.date(2026, 5, 21),
            )
            for c, m in zip(collectivites, communes, strict=True)
        )
        Enrollment.objects.bulk_create(
            Enrollment(
                convention=conventions[i // schools_per_convention],
                school=school,
                school_year=year,
            )
            for i, school in enumerate(schools)
        )
    return conventions


def verified_client(user):
    """A test client logged in as `user` with a session that gave its second-factor code,
    as every staff session in production (DEBUG=0 requires one)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
