"""Two campaigns started at once for the same year: the second waits for the first, then
finds its drafts and creates nothing."""

import datetime
import threading

import pytest
from django.conf import settings
from django.db import connections

from conventions import renewal
from conventions.models import Convention
from tests.conventions.test_renewal import source_convention, target_year

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="SQLite serialises every write transaction: row locks can only be proven on "
    "PostgreSQL (DATABASE_URL=postgres://…)",
)
@pytest.mark.django_db(transaction=True)
def test_a_second_run_started_meanwhile_waits_and_creates_nothing(monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2027, 5, 1)
    )
    source_convention(2)
    source_convention(1)
    target_year()
    writing, release = threading.Event(), threading.Event()
    write = renewal.write

    def slow_write(plan):
        if not writing.is_set():
            writing.set()
            release.wait(timeout=30)
        return write(plan)

    monkeypatch.setattr(renewal, "write", slow_write)
    outcomes = {}

    def run(name):
        try:
            outcomes[name] = renewal.renew("2026-2027", "2027-2028")
        except Exception as error:  # reported by the main thread
            outcomes[name] = error
        finally:
            connections.close_all()

    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert writing.wait(timeout=30)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    second.join(timeout=2)
    waited = second.is_alive()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert waited, "the second run did not wait for the first one's lock"
    assert len(outcomes["first"].created) == 2
    assert outcomes["second"].created == [] and len(outcomes["second"].skipped) == 2
    assert Convention.objects.filter(school_year__label="2027-2028").count() == 2
