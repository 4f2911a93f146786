import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from conventions.enums import ConventionStatus
from conventions.models import Convention
from tests.factories import complete_convention

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="worker processes need a shared database server"
)


def database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def issue_conventions(tmp_path, *options, **variables):
    return subprocess.run(
        [sys.executable, "manage.py", "issue_conventions", "--year", "2026-2027", *options],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "PRIVATE_ROOT": str(tmp_path / "private"),
            **variables,
        },
        capture_output=True,
        text=True,
        # Bounded: a lost worker used to leave the command waiting forever.
        timeout=180,
        check=False,
    )


def test_workers_are_replaced_as_they_age(transactional_db, tmp_path):
    for _ in range(4):
        complete_convention()
    result = issue_conventions(tmp_path, "--workers", "2", "--recycle", "1")
    assert result.returncode == 0, result.stderr
    assert "4 conventions émises sur 4." in result.stdout


def test_a_killed_worker_is_reported_and_the_others_are_issued(transactional_db, tmp_path):
    conventions = [complete_convention() for _ in range(4)]
    victim = conventions[1]
    # The worker that takes this convention kills itself as the out-of-memory killer would
    # (SIGKILL: no exception, no clean-up).
    result = issue_conventions(
        tmp_path, "--workers", "2", ENTCONV_TEST_KILL_WORKER_ON=str(victim.pk)
    )

    assert result.returncode != 0
    assert "3 conventions émises sur 4." in result.stdout, result.stdout + result.stderr
    assert f"Non émise — {victim.reference} : le processus qui l'émettait s'est arrêté" in (
        result.stderr
    )
    assert "1 convention non émise" in result.stderr
    statuses = dict(Convention.objects.values_list("pk", "status"))
    assert statuses.pop(victim.pk) == ConventionStatus.BROUILLON
    assert set(statuses.values()) == {ConventionStatus.EMISE}
    # Nothing half-written: one PDF per issued convention, none for the victim.
    stored = sorted(p.name for p in (tmp_path / "private" / "conventions").iterdir())
    assert stored == sorted(
        f"{c.reference}.pdf" for c in Convention.objects.filter(status=ConventionStatus.EMISE)
    )
