"""`issue_conventions --workers 2` killed with its pool of workers (SIGKILL to the whole
process group, as when the machine's service is killed), then run again."""

import os
import signal
import subprocess

import pytest
from django.db import connection

from communes.french import counted, pluralize
from conventions.enums import ConventionStatus
from tests.production.conftest import bucket_keys
from tests.production.crash_helpers import (
    assert_each_issued_once_with_one_pdf,
    by_reference,
    campaign,
    issued_count,
    machine_env,
    manage_command,
    wait_for,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the command's worker processes share a database server: SQLite cannot prove "
    "it (DATABASE_URL=postgres://…)",
)


def test_issue_conventions_killed_with_its_pool_and_run_again(
    transactional_db, tmp_path, storage_url, s3_storage
):
    drafts = campaign(40)
    year = drafts[0].school_year.label
    # Each worker of the pool stops for good at its 6th convention, its PDF written under
    # the pending name and its row locked, not committed.
    command = subprocess.Popen(
        manage_command("issue_conventions", "--year", year, "--workers", "2"),
        cwd=tmp_path,
        env=machine_env(storage_url, ENTCONV_TEST_FREEZE_AFTER="5"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: (
                issued_count() >= 10
                and len([marker for marker in tmp_path.glob("frozen-*") if marker.read_text()])
                == 2
            ),
            timeout=300,
            message="the workers never froze mid-convention",
        )
    finally:
        os.killpg(command.pid, signal.SIGKILL)
        command.wait(timeout=30)
    held = [by_reference(drafts, marker.read_text()) for marker in tmp_path.glob("frozen-*")]
    assert {convention.status for convention in held} == {ConventionStatus.BROUILLON}
    assert {f"conventions/{convention.reference}.pdf.part" for convention in held} <= set(
        bucket_keys(s3_storage)
    )
    left = 40 - issued_count()

    again = subprocess.run(
        manage_command("issue_conventions", "--year", year, "--workers", "2"),
        cwd=tmp_path,
        env=machine_env(storage_url),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert again.returncode == 0, again.stderr
    assert f"{counted(left, 'convention')} émise{pluralize(left)} sur {left}." in again.stdout
    assert_each_issued_once_with_one_pdf(drafts, s3_storage)
