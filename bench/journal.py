"""The journal on PostgreSQL: writing 10,000 events (each through record(), under the chain's
lock, committed by 100 as a long workflow would; plus 500 committed one by one, as the admin
writes them, for the cost of a commit), then verifying the chain; verifying 20,000 must take
about twice as long as 10,000 (linear: one pass, no query per row).

    .venv/bin/python bench/journal.py        (make bench)
"""

import time

from _common import setup_django

setup_django("entconv_bench_journal")

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from communes import journal  # noqa: E402
from communes.journal import JournalEvent  # noqa: E402

BATCH = 10_000


def write(count, start, per_transaction=100):
    began = time.perf_counter()
    for first in range(start, start + count, per_transaction):
        with transaction.atomic():
            for number in range(first, min(first + per_transaction, start + count)):
                record(number)
    return time.perf_counter() - began


def record(number):
    journal.record(
        JournalEvent.CONVENTION_STATUS,
        "bench",
        reference=f"ENT-2026-2027-16-{number:05d}-01",
        previous="emise",
        status="envoyee",
    )


def verify():
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        count, breaks = journal.verify()
    assert not breaks, breaks
    return count, time.perf_counter() - began, len(queries)


def main():
    call_command("flush", interactive=False, verbosity=0)
    single = 500
    seconds = write(single, 0, per_transaction=1)
    print(f"{single} événements, une transaction chacun : {seconds / single * 1000:.2f} ms chacun")
    call_command("flush", interactive=False, verbosity=0)
    results = []
    for total in (BATCH, 2 * BATCH):
        seconds = write(BATCH, total - BATCH)
        count, verify_seconds, queries = verify()
        results.append((count, verify_seconds))
        print(
            f"{BATCH} événements écrits (par 100) en {seconds:.2f} s "
            f"({seconds / BATCH * 1000:.2f} ms "
            f"chacun) ; vérification de {count} lignes en {verify_seconds:.2f} s, "
            f"{queries} requêtes"
        )
    ratio = results[1][1] / results[0][1]
    print(f"vérification 20 000 / 10 000 : × {ratio:.2f} (linéaire : environ × 2)")
    if ratio > 3:
        raise SystemExit("La vérification n'est plus linéaire.")


if __name__ == "__main__":
    main()
