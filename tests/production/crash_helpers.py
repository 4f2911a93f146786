"""What the crash tests share: a campaign of drafts, the environment of a worker machine
(the test database, the S3 bucket, its own working directory), and the checks that each
convention was issued exactly once, with one PDF."""

import hashlib
import os
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from communes.journal import JournalEntry, JournalEvent
from conventions.enums import ConventionStatus
from conventions.models import Convention
from tests.factories import CommuneFactory, ConventionFactory, complete_convention, enroll
from tests.production.conftest import bucket_keys

MANAGE = str(Path(__file__).resolve().parent.parent.parent / "manage.py")


def campaign(count):
    first = complete_convention(school_count=1)
    drafts = [first]
    for _ in range(count - 1):
        draft = ConventionFactory(
            school_year=first.school_year,
            commune=CommuneFactory(departement=first.commune.departement),
        )
        enroll(draft)
        drafts.append(draft)
    assert {draft.academie_id for draft in drafts} == {first.academie_id}
    return drafts


def machine_env(storage_url, **variables):
    database = connection.settings_dict
    user = quote(database["USER"]) + (
        f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    )
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{user}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}",
        "STORAGE_URL": storage_url,
        # Nothing may reach a local disk.
        "PRIVATE_ROOT": "/nonexistent/entconv-private",
        **variables,
    }


def manage_command(*args):
    # By its absolute path: each "machine" runs in its own working directory.
    return [sys.executable, MANAGE, *args]


def wait_for(condition, timeout, message):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


def frozen_reference(workdir):
    """The convention a worker frozen by ENTCONV_TEST_FREEZE_AFTER holds, if it froze."""
    markers = list(Path(workdir).glob("frozen-*"))
    return markers[0].read_text() if markers and markers[0].read_text() else None


def by_reference(drafts, reference):
    (draft,) = [draft for draft in drafts if draft.reference == reference]
    return Convention.objects.get(pk=draft.pk)


def issued_count():
    return Convention.objects.filter(status=ConventionStatus.EMISE).count()


def assert_each_issued_once_with_one_pdf(drafts, storage):
    references = sorted(draft.reference for draft in drafts)
    issued = Convention.objects.filter(pk__in=[draft.pk for draft in drafts])
    assert set(issued.values_list("status", flat=True)) == {ConventionStatus.EMISE}
    # Issued once: one journal entry each, not two.
    entries = Counter(
        entry["reference"]
        for entry in JournalEntry.objects.filter(event=JournalEvent.CONVENTION_ISSUED).values_list(
            "data", flat=True
        )
    )
    assert sorted(entries) == references
    assert set(entries.values()) == {1}
    # One object per convention under its final name, no pending (.part) one left.
    assert bucket_keys(storage) == [f"conventions/{reference}.pdf" for reference in references]
    for convention in issued:
        with storage.open(convention.pdf.name, "rb") as file:
            assert hashlib.sha256(file.read()).hexdigest() == convention.pdf_sha256, (
                convention.reference
            )
