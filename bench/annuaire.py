"""Annuaire import on PostgreSQL: time, writes and peak memory, against the goals of issue 4.

    python bench/annuaire.py        (make bench)

Uses its own database, BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/entconv_bench_annuaire), created if missing and emptied at
each step;
the files come from bench/generate_annuaire.py (written under bench/out/ when absent). Each
measure runs in a fresh process so that its peak RSS is its own.
"""

import json
import resource
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

BASE = Path(__file__).resolve().parent
sys.path.insert(0, str(BASE.parent))
sys.path.insert(0, str(BASE))

DATABASE = "entconv_bench_annuaire"


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset(all_academies=False):
    """Empty database with the reference data (and, if asked, the synthetic académies)."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    call_command("loaddata", "reference", verbosity=0)
    if all_academies:
        from generate_annuaire import OTHER_DEPARTEMENTS, other_academie

        from communes.models import Academie

        for code in sorted({other_academie(d) for d in OTHER_DEPARTEMENTS}):
            Academie.objects.create(code=code, name=f"Synthétique {code}", signing_city="-")


def step_annuaire(path, *, all_academies=False, fresh=True, capture=False):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from schools.annuaire import import_annuaire

    if fresh:
        reset(all_academies)
    baseline = peak_rss_mb()
    # Capturing the SQL costs memory, so only the run that counts its writes does it.
    with CaptureQueriesContext(connection) if capture else nullcontext() as queries:
        start = time.perf_counter()
        report = import_annuaire(path)
        seconds = time.perf_counter() - start
    captured = queries.captured_queries if capture else []
    writes = [
        q["sql"]
        for q in captured
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert not report.refused, report.fatal
    return {
        "seconds": seconds,
        "rows": report.rows,
        "created": len(report.created),
        "updated": len(report.updated),
        "unchanged": report.unchanged,
        "writes": len(writes),
        "queries": len(captured),
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def step_row_by_row(path):
    """django-import-export's default import (one row at a time) of the same schools."""
    from import_export import fields, resources, widgets
    from import_export.formats.base_formats import CSV

    from communes.models import Commune
    from schools.annuaire import import_annuaire
    from schools.models import School

    # Communes first (with our import), so that the row-by-row import only does schools.
    reset()
    import_annuaire(path)
    School.objects.all().delete()

    class SchoolResource(resources.ModelResource):
        uai = fields.Field("uai", "Identifiant_de_l_etablissement")
        name = fields.Field("name", "Nom_etablissement")
        kind = fields.Field("kind", "kind")
        sector = fields.Field("sector", "sector")
        status = fields.Field("status", "status")
        commune = fields.Field(
            "commune", "Code_commune", widget=widgets.ForeignKeyWidget(Commune, "insee_code")
        )

        class Meta:
            model = School
            import_id_fields = ["uai"]
            fields = ["uai", "name", "kind", "sector", "status", "commune"]

        def before_import_row(self, row, **kwargs):
            nature = row["code_nature"]
            row["kind"] = (
                "maternelle"
                if nature in {"101", "102", "103", "111"}
                else ("primaire" if row["Ecole_maternelle"] == "1" else "elementaire")
            )
            row["sector"] = "public" if row["Statut_public_prive"] == "Public" else "prive"
            row["status"] = "a_fermer" if row["etat"] == "A FERMER" else "ouvert"

    baseline = peak_rss_mb()
    start = time.perf_counter()
    dataset = CSV(encoding="utf-8-sig").create_dataset(path.read_bytes(), delimiter=";")
    type_column = dataset.headers.index("Type_etablissement")
    academie_column = dataset.headers.index("Code_academie")
    kept = [
        index
        for index, row in enumerate(dataset)
        if row[type_column] == "Ecole" and row[academie_column] in {"11", "16"}
    ]
    schools = dataset.subset(rows=kept)
    result = SchoolResource().import_data(schools, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "created": result.totals["new"],
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
    }


def child(step, path):
    from _common import setup_django

    setup_django(DATABASE)
    path = Path(path)
    steps = {
        "empty": lambda: step_annuaire(path),
        "again": lambda: (step_annuaire(path), step_annuaire(path, fresh=False, capture=True))[1],
        "all_academies": lambda: step_annuaire(path, all_academies=True),
        "row_by_row": lambda: step_row_by_row(path),
    }
    print(json.dumps(steps[step]()))


def run(step, path):
    process = subprocess.run(
        [sys.executable, __file__, "--step", step, str(path)], capture_output=True, text=True
    )
    if process.returncode:
        sys.exit(f"Échec de l'étape {step} :\n{process.stderr}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def verdict(value, goal):
    return "OK" if value < goal else "AU-DELÀ DE L'OBJECTIF"


def main():
    from generate_annuaire import generate

    occitanie, national = generate()

    first = run("empty", occitanie)
    print(
        f"Occitanie ({first['rows']} lignes) dans une base vide : {first['seconds']:.2f} s "
        f"(objectif < 10 s, {verdict(first['seconds'], 10)}) ; {first['created']} écoles "
        f"créées ; RSS crête {first['peak_mb']:.0f} Mo "
        f"(après démarrage {first['baseline_mb']:.0f})"
    )
    again = run("again", occitanie)
    print(
        f"Même fichier une seconde fois : {again['seconds']:.2f} s "
        f"(objectif < 5 s, {verdict(again['seconds'], 5)}) ; {again['writes']} écriture(s), "
        f"{again['unchanged']} écoles inchangées, {again['queries']} requêtes"
    )
    big = run("empty", national)
    print(
        f"National ({big['rows']} lignes, académies 11 et 16 connues) : {big['seconds']:.2f} s "
        f"(objectif < 60 s, {verdict(big['seconds'], 60)}) ; {big['created']} écoles ; "
        f"RSS crête {big['peak_mb']:.0f} Mo (après démarrage {big['baseline_mb']:.0f})"
    )
    worst = run("all_academies", national)
    print(
        f"National, toutes les académies connues : {worst['seconds']:.2f} s "
        f"(objectif < 60 s, {verdict(worst['seconds'], 60)}) ; {worst['created']} écoles ; "
        f"RSS crête {worst['peak_mb']:.0f} Mo (après démarrage {worst['baseline_mb']:.0f})"
    )
    row_by_row = run("row_by_row", occitanie)
    print(
        f"django-import-export ligne à ligne, même fichier Occitanie : "
        f"{row_by_row['seconds']:.2f} s pour {row_by_row['created']} écoles "
        f"(communes déjà créées) ; rapport {row_by_row['seconds'] / first['seconds']:.1f}× "
        f"plus lent que l'import par lots"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--step":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
