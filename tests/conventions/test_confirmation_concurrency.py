"""Two answers posted at once from the same page: the row lock orders them, the second is
refused and nothing of it is written."""

import threading

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections

from conventions import confirmations
from conventions.models import SchoolConfirmation
from tests.factories import complete_convention

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="SQLite serialises every write transaction: row locks can only be proven on "
    "PostgreSQL (DATABASE_URL=postgres://…)",
)
@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_one_is_recorded_the_other_refused():
    convention = complete_convention(school_count=3)
    schools = list(convention.enrollments.values_list("school", flat=True))
    start = threading.Barrier(2)
    outcomes = []

    def answer(name):
        try:
            start.wait(timeout=10)
            confirmations.record_confirmation(
                convention,
                school_ids=schools,
                representative_name=name,
                representative_title="MAIRE",
                emails="mairie@example.org",
                confirmed_by=name,
                ip_address="203.0.113.9",
                seen_confirmation_id=0,
            )
            outcomes.append("recorded")
        except ValidationError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=(name,)) for name in ("Anne", "Paul")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["recorded", "stale_confirmation"]
    assert SchoolConfirmation.objects.count() == 1
