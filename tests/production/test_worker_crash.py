"""Two `db_worker` processes, as two machines run them (their own working directories, the
same PostgreSQL and object storage), issue a background batch; one is killed with SIGKILL
in the middle of a convention."""

import signal
import subprocess

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from conventions.enums import ConventionStatus
from conventions.models import IssuingBatch
from conventions.task_recovery import LOST
from conventions.tasks import issue_in_background
from tests.production.conftest import bucket_keys
from tests.production.crash_helpers import (
    assert_each_issued_once_with_one_pdf,
    by_reference,
    campaign,
    frozen_reference,
    issued_count,
    machine_env,
    manage_command,
    wait_for,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="workers on several machines share a database server: SQLite is one file on one "
    "machine, and has neither row locks to skip nor advisory locks (DATABASE_URL=postgres://…)",
)


def db_worker(workdir, env, name):
    workdir.mkdir()
    return subprocess.Popen(
        manage_command(
            "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2",
            "--worker-id", name,
        ),
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_a_worker_killed_mid_batch_leaves_the_batch_to_the_other(
    transactional_db, tmp_path, storage_url, s3_storage
):
    drafts = campaign(200)
    batch = IssuingBatch.objects.create(
        school_year=drafts[0].school_year,
        convention_ids=[draft.pk for draft in drafts],
        total=len(drafts),
    )
    issue_in_background.enqueue(batch.pk)
    # The victim stops for good at its 11th convention, its PDF written under the pending
    # name, its row locked and not committed: the worst moment to die.
    victim = db_worker(
        tmp_path / "machine-a", machine_env(storage_url, ENTCONV_TEST_FREEZE_AFTER="10"), "a"
    )
    survivor = db_worker(tmp_path / "machine-b", machine_env(storage_url), "b")
    try:
        wait_for(
            lambda: issued_count() >= 30 and frozen_reference(tmp_path / "machine-a"),
            timeout=300,
            message="the victim never froze mid-convention, or 30 were never issued",
        )
        held = by_reference(drafts, frozen_reference(tmp_path / "machine-a"))
        assert held.status == ConventionStatus.BROUILLON
        assert f"conventions/{held.reference}.pdf.part" in bucket_keys(s3_storage)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)

        wait_for(
            lambda: IssuingBatch.objects.filter(pk=batch.pk, finished_at__isnull=False).exists(),
            timeout=600,
            message="the survivor did not finish the batch",
        )
        # Asked to stop, the idle survivor stops at once, and cleanly.
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(timeout=30) == 0
    finally:
        for process in (victim, survivor):
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)

    assert_each_issued_once_with_one_pdf(drafts, s3_storage)
    held.refresh_from_db()
    assert held.status == ConventionStatus.EMISE
    batch.refresh_from_db()
    assert (batch.total, batch.issued_count, batch.failures) == (200, 200, [])
    # The dead worker's task is not left "en cours" for ever.
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
    lost = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert lost.worker_ids == ["a"]
    assert lost.traceback == LOST
