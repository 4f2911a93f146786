import threading
from datetime import date

import pytest
from django.conf import settings
from django.db import connections

from conventions import billing
from conventions.models import Convention, Titre, TitreCounter
from tests.conventions.test_titres import signed_convention

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
THREADS = 8
PER_THREAD = 5


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="SQLite serialises every write transaction: row locks and concurrent issuers "
    "can only be proven on PostgreSQL (DATABASE_URL=postgres://…)",
)
# pytest-django runs transactional tests after all the others, so the flush that ends this
# one cannot take the data migrations' rows (the "Comptabilité" group) from them.
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuers_get_gapless_unique_numbers():
    conventions = [signed_convention(schools=1) for _ in range(THREADS * PER_THREAD)]
    start = threading.Barrier(THREADS)
    failures = []

    def issuer(batch):
        # Each thread has its own connection, hence its own transactions and row locks.
        try:
            start.wait()
            for pk in batch:
                billing.issue_titre(Convention.objects.get(pk=pk), on=date(2026, 12, 1))
        except Exception as error:  # reported by the main thread
            failures.append(error)
        finally:
            connections.close_all()

    pks = [convention.pk for convention in conventions]
    threads = [threading.Thread(target=issuer, args=(pks[i::THREADS],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    sequences = sorted(Titre.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, THREADS * PER_THREAD + 1))
    assert Titre.objects.values("number").distinct().count() == THREADS * PER_THREAD
    assert TitreCounter.objects.get(exercice=2026).last == THREADS * PER_THREAD
