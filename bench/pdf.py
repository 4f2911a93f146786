"""Convention PDFs on PostgreSQL: our pipeline, bare WeasyPrint, parallel issuing, LibreOffice.

1. Per document: our pipeline (gather from the database, render the template, WeasyPrint
   with PDF/A-3a, tags and the JSON attachment, shared stylesheet and fonts) against bare
   WeasyPrint rendering the same final HTML (`HTML(string).write_pdf(stylesheets=[CSS])`).
   Goal: overhead at most 10 %.
2. Issuing 500 conventions (`conventions.batch.issue_many`, as `issue_conventions` does)
   with 1 and with 2 worker processes. Goal: at least 1.8x from the second worker.
3. Resident memory of one long process over 1,000 documents (no recycling), sampled every
   100 documents. Goal: flat.
4. LibreOffice headless converting the same conventions from ODT to PDF, in one batch
   (`soffice --headless --convert-to pdf a.odt b.odt …`). Goal: we are faster per document.

    .venv/bin/python bench/pdf.py [--quick] [--issued 500] [--memory 1000] [--repeat 30]
        [--libreoffice 50]
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import setup_django, timed

# Issued PDFs of the benchmark go to a throw-away folder. Worker processes import this
# script again (as __mp_main__): they find the folder in the environment.
PRIVATE = os.environ.get("ENTCONV_BENCH_PRIVATE") or tempfile.mkdtemp(prefix="entconv-bench-")
os.environ["ENTCONV_BENCH_PRIVATE"] = os.environ["PRIVATE_ROOT"] = PRIVATE
setup_django("entconv_bench_pdf")

import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from stdnum import luhn  # noqa: E402
from weasyprint import CSS, HTML  # noqa: E402

from communes.models import Academie, Collectivite, Commune, Departement  # noqa: E402
from conventions.batch import issue_many  # noqa: E402
from conventions.models import (  # noqa: E402
    Convention,
    ConventionTemplate,
    Enrollment,
    SchoolYear,
    Signatory,
    Tariff,
)
from conventions.pdf import STYLESHEET, ConventionDocument, html_to_pdf  # noqa: E402
from schools.models import School  # noqa: E402
from schools.validators import uai_check_letter  # noqa: E402


def option(name, default):
    # `--issued 100` etc.: smaller runs on a busy machine; the defaults are the issue's.
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


QUICK = "--quick" in sys.argv
ISSUED = option("--issued", 60 if QUICK else 500)
MEMORY_DOCS = option("--memory", 200 if QUICK else 1000)
REPEAT = option("--repeat", 10 if QUICK else 30)
LIBREOFFICE_DOCS = option("--libreoffice", 20 if QUICK else 50)
SCHOOLS_PER_CONVENTION = 4


def fill(count):
    call_command("flush", interactive=False, verbosity=0)
    call_command("loaddata", "reference", verbosity=0)
    templates = Path(__file__).resolve().parent.parent / "fixtures" / "convention_templates.json"
    if templates.exists():
        call_command("loaddata", "convention_templates", verbosity=0)
    year = SchoolYear.objects.get(label="2026-2027")
    year.end_date = year.end_date or datetime.date(2027, 9, 5)
    year.save()
    for academie in Academie.objects.all():
        Tariff.objects.get_or_create(
            school_year=year, academie=academie, defaults={"rate": Decimal("41.00")}
        )
        Signatory.objects.get_or_create(
            school_year=year,
            academie=academie,
            defaults={
                "name": "Carole DRUCKER-GODARD",
                "title_lines": "Rectrice de la région académique Occitanie\n"
                f"Rectrice de l'académie de {academie.name}\nChancelière des universités",
            },
        )
    # The real 2026-2027 wording for every académie (the shipped one may be académie-specific).
    if not ConventionTemplate.objects.filter(school_year=year, academie=None).exists():
        shipped = ConventionTemplate.objects.filter(school_year=year).first()
        if shipped is None:
            from tests.factories import TEMPLATE_BODY

        ConventionTemplate.objects.create(
            school_year=year, name="bench", body=shipped.body if shipped else TEMPLATE_BODY
        )
    departements = list(Departement.objects.select_related("academie"))
    with transaction.atomic():
        communes = Commune.objects.bulk_create(
            Commune(
                insee_code=f"{90000 + i:05d}",
                name=f"Commune {i}",
                postal_code="31000",
                departement=departements[i % len(departements)],
            )
            for i in range(count)
        )
        collectivites = Collectivite.objects.bulk_create(
            Collectivite(
                kind="commune",
                name=f"COMMUNE DE BENCH {i}",
                siret=(body := f"2{i:012d}") + luhn.calc_check_digit(body),
                address=f"{i} place de la Mairie",
                postal_code="31000",
                city=f"BENCH {i}",
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
                name=f"ECOLE {i}",
                kind="primaire",
                sector="public",
                commune=communes[i // SCHOOLS_PER_CONVENTION],
            )
            for i in range(count * SCHOOLS_PER_CONVENTION)
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
                convention=conventions[i // SCHOOLS_PER_CONVENTION],
                school=school,
                school_year=year,
            )
            for i, school in enumerate(schools)
        )
    return [c.pk for c in conventions]


def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def document(pk):
    return ConventionDocument.for_draft(
        Convention.objects.select_related(
            "collectivite", "commune", "school_year", "academie"
        ).get(pk=pk)
    )


def ours(pk):
    # The whole pipeline, without the cache of identical inputs (every document differs).
    doc = document(pk)
    import json

    return html_to_pdf.__wrapped__(
        doc.final_html(draft=False),
        json.dumps(doc.figures(), ensure_ascii=False, indent=1),
        doc.document_date,
    )


def main():
    print(f"machine: {os.cpu_count()} processeurs, charge {os.getloadavg()[0]:.1f}")
    print(f"base : {connection.vendor} {connection.settings_dict['NAME']}")
    pks = fill(max(ISSUED, MEMORY_DOCS, LIBREOFFICE_DOCS))
    ours(pks[0])  # warm: fonts, stylesheet, template engine
    final = document(pks[0]).final_html(draft=False)

    # 1. Per document ---------------------------------------------------------------
    ours_median, _ = timed(lambda: ours(pks[1]), REPEAT)
    bare_median, _ = timed(
        lambda: HTML(string=final).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))]),
        REPEAT,
    )
    cached_median, _ = timed(lambda: document(pks[2]).render(draft=False), REPEAT)
    print("\n1. Par document (médiane de", REPEAT, "rendus)")
    print(
        f"   notre chaîne complète (base + gabarit + PDF/A-3a balisé + pièce jointe) : "
        f"{ours_median * 1000:.0f} ms"
    )
    print(
        f"   WeasyPrint nu sur le même HTML final (PDF simple)                   : "
        f"{bare_median * 1000:.0f} ms"
    )
    print(
        f"   surcoût de notre chaîne : {(ours_median / bare_median - 1) * 100:+.1f} % "
        "(objectif ≤ 10 %)"
    )
    print(
        f"   même document redemandé (cache des entrées identiques)            : "
        f"{cached_median * 1000:.1f} ms"
    )

    # 2. Issuing with 1 and 2 workers -------------------------------------------------
    print(f"\n2. Émission de {ISSUED} conventions")
    results = {}
    for workers in (1, 2):
        all_pks = fill(max(ISSUED, MEMORY_DOCS, LIBREOFFICE_DOCS))
        pks = all_pks[:ISSUED]
        start = time.perf_counter()
        failed = sum(1 for _, error in issue_many(pks, workers=workers) if error)
        results[workers] = time.perf_counter() - start
        print(
            f"   {workers} processus : {results[workers]:.1f} s, "
            f"{results[workers] / ISSUED * 1000:.0f} ms par convention, {failed} échec(s)"
        )
    print(
        f"   accélération avec le 2e processus : {results[1] / results[2]:.2f}x (objectif ≥ 1,8x)"
    )

    # 3. Memory over a long process -------------------------------------------------
    print(f"\n3. Mémoire résidente d'un processus sur {MEMORY_DOCS} documents (sans recyclage)")
    samples = [f"0:{rss_mb():.0f}"]
    for i, pk in enumerate(all_pks[:MEMORY_DOCS], start=1):
        ours(pk)
        if i % (MEMORY_DOCS // 10) == 0:
            samples.append(f"{i}:{rss_mb():.0f}")
    print("   RSS (Mo) après n documents :", "  ".join(samples))

    # 4. LibreOffice ------------------------------------------------------------------
    print(f"\n4. LibreOffice headless, lot de {LIBREOFFICE_DOCS} conventions ODT → PDF")
    soffice = shutil.which("soffice")
    if soffice is None:
        print("   soffice absent : apt-get install -y libreoffice-writer-nogui")
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        env = {**os.environ, "HOME": str(folder)}
        htmls = []
        for i, pk in enumerate(all_pks[:LIBREOFFICE_DOCS]):
            path = folder / f"c{i:03d}.html"
            path.write_text(document(pk).final_html(draft=False), encoding="utf-8")
            htmls.append(str(path))
        # The same conventions as ODT documents (the conversion to ODT is not timed).
        subprocess.run(
            [
                soffice,
                "--headless",
                "--infilter=HTML (StarWriter)",
                "--convert-to",
                "odt",
                "--outdir",
                str(folder),
                *htmls,
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        odts = sorted(str(p) for p in folder.glob("c*.odt"))
        start = time.perf_counter()
        subprocess.run(
            [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(folder / "pdf"), *odts],
            check=True,
            capture_output=True,
            env=env,
        )
        batch = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run(
            [
                soffice,
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder / "one"),
                odts[0],
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        single = time.perf_counter() - start
        produced = len(list((folder / "pdf").glob("*.pdf")))
    ours_batch = results[1] / ISSUED
    print(
        f"   {produced} PDF en {batch:.1f} s : {batch / produced * 1000:.0f} ms par document "
        f"(un document seul, démarrage compris : {single:.1f} s)"
    )
    print(
        f"   nous, par convention émise (1 processus, base et stockage compris) : "
        f"{ours_batch * 1000:.0f} ms ; rendu seul : {ours_median * 1000:.0f} ms"
    )
    ratio = ours_median / (batch / produced)
    print(
        f"   notre rendu / LibreOffice en lot : {ratio:.2f}x "
        f"({'plus lent' if ratio > 1 else 'plus rapide'} ; objectif < 1)"
    )
    shutil.rmtree(PRIVATE, ignore_errors=True)


if __name__ == "__main__":
    main()
