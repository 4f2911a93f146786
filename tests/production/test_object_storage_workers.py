"""STORAGE_URL read by real processes, as on a server: `issue_conventions --workers 2` then
`verify_documents`, with the files in the S3 server's bucket."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from conventions.enums import ConventionStatus
from conventions.models import Convention
from tests.factories import complete_convention
from tests.production.conftest import bucket_keys

ROOT = Path(__file__).resolve().parent.parent.parent


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="worker processes need a shared database server"
)
def test_parallel_workers_issue_into_the_bucket(transactional_db, storage_url, s3_storage):
    first = complete_convention()
    drafts = [first] + [
        complete_convention(school_year=first.school_year, academie=first.academie)
        for _ in range(3)
    ]
    database = connection.settings_dict
    user = quote(database["USER"]) + (
        f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{user}@{database['HOST']}:{database['PORT'] or 5432}"
        f"/{database['NAME']}",
        "STORAGE_URL": storage_url,
        # Nothing may reach the local disk.
        "PRIVATE_ROOT": "/nonexistent/entconv-private",
    }

    issued = manage(
        "issue_conventions", "--year", first.school_year.label, "--workers", "2", env=env
    )
    assert issued.returncode == 0, issued.stderr
    assert "4 conventions émises sur 4." in issued.stdout
    checked = manage("verify_documents", env=env)
    assert checked.returncode == 0, checked.stderr
    assert "4 fichiers examinés : 0 sans convention, 0 manquant, 0 modifié." in (checked.stdout)

    assert bucket_keys(s3_storage) == sorted(
        f"conventions/{draft.reference}.pdf" for draft in drafts
    )
    assert set(Convention.objects.values_list("status", flat=True)) == {ConventionStatus.EMISE}
