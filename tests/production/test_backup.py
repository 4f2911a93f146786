"""backup → everything dropped → restore → verify_documents: nothing lost, the titres keep
their numbers and the next one continues the sequence."""

import datetime
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection

from conventions import billing
from conventions.enums import ConventionStatus
from conventions.issuing import issue
from conventions.models import Titre
from conventions.signed_copies import receive_signed_copy
from tests.conventions.test_titres import signed_convention
from tests.factories import ConventionFactory, complete_convention
from tests.portal_helpers import make_pdf

ROOT = Path(__file__).resolve().parent.parent.parent
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
CLEAN = "0 sans convention, 0 manquant, 0 modifié."

# pytest-django runs transactional tests after all the others, so the flush that ends these
# cannot take the data migrations' rows from them.
pytestmark = pytest.mark.django_db(transaction=True)


def build_conventions_and_titres():
    """Two issued conventions, one with its signed copy and billed, one more titre."""
    first = issue(complete_convention())
    second = issue(complete_convention(school_year=first.school_year, academie=first.academie))
    receive_signed_copy(
        second,
        signed_pdf=ContentFile(make_pdf(pages=2), name="signee.pdf"),
        act_date=datetime.date(2026, 6, 3),
        act_identifier="066-216600494-20260603-DCM1212026-DE",
    )
    second.transition_to(ConventionStatus.SIGNEE_ACADEMIE)
    on = datetime.date(2026, 12, 1)
    billing.issue_titre(second, on=on)
    billing.issue_titre(signed_convention(schools=1, academie=first.academie), on=on)
    return sorted(Titre.objects.values_list("number", flat=True))


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="pg_dump/pg_restore: on PostgreSQL (DATABASE_URL=postgres://…); SQLite is tested below",
)
def test_backup_drop_restore_on_postgresql(tmp_path, private_storage):
    numbers = build_conventions_and_titres()
    archive = tmp_path / "sauvegarde"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "la base et 3 fichiers, " in out.getvalue()
    manifest = json.loads((archive / "manifest.json").read_text())
    assert len(manifest["files"]) == 3

    with pytest.raises(CommandError, match="La base de données n'est pas vide"):
        call_command("restore", str(archive), stdout=io.StringIO())

    # Everything is lost: the database's tables and the stored files.
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    for name in [entry["name"] for entry in manifest["files"]]:
        private_storage.delete(name)
    ContentType.objects.clear_cache()

    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)

    assert " restaurée : la base et 3 fichiers, en " in out.getvalue()
    assert f"3 fichiers examinés : {CLEAN}" in out.getvalue()
    assert sorted(Titre.objects.values_list("number", flat=True)) == numbers
    titre = billing.issue_titre(
        signed_convention(schools=1, academie=Titre.objects.first().academie),
        on=datetime.date(2026, 12, 2),
    )
    assert titre.sequence == len(numbers) + 1


def test_a_tampered_archive_restores_nothing(tmp_path, private_storage):
    issue(complete_convention())
    archive = tmp_path / "sauvegarde"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "la base et 1 fichier, " in out.getvalue()
    stored = next((archive / "files").rglob("*.pdf"))
    stored.write_bytes(stored.read_bytes() + b"%")

    with pytest.raises(CommandError, match="Sauvegarde altérée, rien n'a été restauré"):
        call_command("restore", str(archive), stdout=io.StringIO())
    with pytest.raises(CommandError, match="n'est pas vide"):
        call_command("backup", str(archive), stdout=io.StringIO())


@pytest.mark.parametrize(
    "names, missing",
    [
        (["a"], "1 fichier désigné par la base manque au stockage"),
        (["a", "b"], "2 fichiers désignés par la base manquent au stockage"),
    ],
)
def test_a_file_missing_from_the_storage_fails_the_backup(tmp_path, names, missing):
    for name in names:
        ConventionFactory(pdf=f"conventions/{name}.pdf")  # data: a row naming a lost file

    with pytest.raises(CommandError, match=f"^{missing} : conventions/a.pdf"):
        call_command("backup", str(tmp_path / "sauvegarde"), stdout=io.StringIO())


@pytest.mark.skipif(ON_POSTGRESQL, reason="the SQLite copy; PostgreSQL is tested above")
def test_backup_then_restore_onto_a_new_sqlite_install(tmp_path, private_storage):
    numbers = build_conventions_and_titres()
    archive = tmp_path / "sauvegarde"
    call_command("backup", str(archive), stdout=io.StringIO())

    # A new install: another database file and another private folder, restored by the
    # command as an operator runs it.
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restauree.sqlite3'}",
        "PRIVATE_ROOT": str(tmp_path / "restauree"),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "restore", str(archive)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert " restaurée : la base et 3 fichiers, en " in done.stdout
    assert f"3 fichiers examinés : {CLEAN}" in done.stdout
    restored = sqlite3.connect(tmp_path / "restauree.sqlite3")
    try:
        rows = restored.execute("SELECT number FROM conventions_titre ORDER BY number")
        assert [number for (number,) in rows] == numbers
        (last,) = restored.execute("SELECT max(last) FROM conventions_titrecounter").fetchone()
        assert last == len(numbers)
    finally:
        restored.close()
