"""Backup and restore of a campaign: time and size of `manage.py backup`, then of
`manage.py restore` (with its `verify_documents`) onto an empty database and storage.

Runs on its own PostgreSQL database (BENCH_BACKUP_DATABASE_URL, default
entconv_bench_backup on the local server), dropped and rebuilt at each run, and its own
private folder (or STORAGE_URL's bucket, when set). BENCH_BACKUP_CONVENTIONS sets the count
(12,000 by default): each holds a PDF really issued by WeasyPrint once (then made unique per
convention, as their SHA-256 are), one in ten a signed copy.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_BACKUP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/entconv_bench_backup"
)
COUNT = int(os.environ.get("BENCH_BACKUP_CONVENTIONS", "12000"))
SIGNED_EVERY = 10
WORKDIR = Path(tempfile.mkdtemp(prefix="entconv-bench-backup-"))
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["PRIVATE_ROOT"] = str(WORKDIR / "private")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entconv.settings")


from bench._common import recreate_database  # noqa: E402

recreate_database(DATABASE_URL)

import django  # noqa: E402

django.setup()

import hashlib  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._common import create_conventions  # noqa: E402
from communes.models import Academie  # noqa: E402
from conventions.enums import ConventionStatus  # noqa: E402
from conventions.issuing import issue  # noqa: E402
from conventions.models import Convention, SchoolYear, Tariff  # noqa: E402
from conventions.stored_documents import storage  # noqa: E402


def fill():
    call_command("migrate", verbosity=0, interactive=False)
    call_command("loaddata", "reference", "demo", "convention_templates", verbosity=0)
    # One convention really issued: its PDF is the model of all the others.
    model = issue(Convention.objects.filter(status=ConventionStatus.BROUILLON).first())
    with model.pdf.open("rb") as file:
        pdf = file.read()
    signed = pdf * 4  # a scan weighs more than the issued PDF
    year = SchoolYear.objects.get(label="2026-2027")
    for academie in Academie.objects.all():
        Tariff.objects.get_or_create(
            school_year=year, academie=academie, defaults={"rate": Decimal("41.00")}
        )
    conventions = create_conventions(year, COUNT - 1, 2, first_insee=50000)
    private = storage()
    now = timezone.now()
    rows = Convention.objects.filter(pk__in=[c.pk for c in conventions]).select_related(
        "school_year", "academie", "commune"
    )
    updated = []
    for n, convention in enumerate(rows):
        content = pdf + f"\n% {convention.reference}\n".encode()
        convention.pdf.name = private.save(
            f"conventions/{convention.reference}.pdf", ContentFile(content)
        )
        convention.pdf_sha256 = hashlib.sha256(content).hexdigest()
        convention.status = ConventionStatus.EMISE
        convention.issued_at = now
        convention.issued_amount = Decimal("82.00")
        if n % SIGNED_EVERY == 0:
            convention.signed_pdf.name = private.save(
                f"signees/{convention.reference}-signee.pdf", ContentFile(signed)
            )
            convention.status = ConventionStatus.SIGNEE_COLLECTIVITE
        updated.append(convention)
    Convention.objects.bulk_update(
        updated,
        ["pdf", "signed_pdf", "pdf_sha256", "status", "issued_at", "issued_amount"],
        batch_size=1000,
    )
    return len(pdf)


def folder_size(path):
    return sum(entry.stat().st_size for entry in Path(path).rglob("*") if entry.is_file())


def main():
    print(f"machine: {os.cpu_count()} processeurs, charge {os.getloadavg()[0]:.1f}")
    print(f"base : {connection.settings_dict['NAME']}, stockage : {storage().__class__.__name__}")
    pdf_size = fill()
    issued = Convention.objects.exclude(pdf="").count()
    signed = Convention.objects.exclude(signed_pdf="").count()
    print(f"{issued} conventions émises (PDF de {pdf_size / 1e3:.0f} ko), {signed} signées")

    archive = WORKDIR / "sauvegarde"
    start = time.perf_counter()
    call_command("backup", str(archive), stdout=open(os.devnull, "w"))  # noqa: SIM115
    backup_seconds = time.perf_counter() - start
    database = next(archive.glob("database.*")).stat().st_size
    total = folder_size(archive)
    print(
        f"sauvegarde : {backup_seconds:.1f} s, {total / 1e6:.1f} Mo "
        f"(base {database / 1e6:.1f} Mo, {len(list((archive / 'files').rglob('*.pdf')))} "
        "fichiers)"
    )
    tar = WORKDIR / "sauvegarde.tar.gz"
    subprocess.run(["tar", "-czf", str(tar), "-C", str(WORKDIR), "sauvegarde"], check=True)
    print(f"  compressée (tar.gz) : {tar.stat().st_size / 1e6:.1f} Mo")

    # Everything lost: an empty database, an empty storage.
    connection.close()
    recreate_database(DATABASE_URL)
    private = storage()
    if hasattr(private, "bucket"):
        private.bucket.objects.all().delete()
    else:
        shutil.rmtree(WORKDIR / "private")
    start = time.perf_counter()
    call_command("restore", str(archive), stdout=sys.stdout)
    print(f"restauration et vérification : {time.perf_counter() - start:.1f} s")
    shutil.rmtree(WORKDIR)


if __name__ == "__main__":
    main()
