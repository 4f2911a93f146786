"""Two answers posted at once from the same page: the row lock orders them, the second is
refused and nothing of it is written."""

import secrets
import threading

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections

from conventions import confirmations
from conventions.models import SchoolConfirmation, hash_access_token
from tests.factories import complete_convention

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="SQLite serialises every write transaction: row locks can only be proven on "
    "PostgreSQL (DATABASE_URL=postgres://…)",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("locked_by", ["convention", "link"])
def test_two_answers_at_once_one_is_recorded_the_other_refused(locked_by):
    convention = complete_convention(school_count=3)
    token = secrets.token_urlsafe(32)
    convention.access_token_hash = hash_access_token(token)
    convention.save(update_fields=["access_token_hash"])
    schools = list(convention.enrollments.values_list("school", flat=True))
    start = threading.Barrier(2)
    outcomes = []
    # By the convention or, as the page does, by its link's token: the same row lock.
    record = {
        "convention": lambda **answer: confirmations.record_confirmation(convention, **answer),
        "link": lambda **answer: confirmations.record_confirmation_for_token(token, **answer),
    }[locked_by]

    def answer(name):
        try:
            start.wait(timeout=10)
            record(
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
