"""Issuing many conventions at once, in worker processes recycled as they age.

Imports nothing from Django at module level: worker processes load this module before
Django is configured, then `setup_worker` configures it.
"""

import logging
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from concurrent.futures.process import BrokenProcessPool

logger = logging.getLogger(__name__)


def setup_worker(settings_module, databases):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django
    from django.conf import settings

    django.setup()
    # The parent's database settings as they are now (a test database has its own name).
    for alias, values in databases.items():
        settings.DATABASES[alias].update(values)


def issue_one(pk, *, rename_on_commit=False):
    """Issue one convention; report a failure instead of raising, so the batch goes on."""
    from django.core.exceptions import ValidationError

    from conventions.issuing import issue
    from conventions.models import Convention

    if os.environ.get("ENTCONV_TEST_KILL_WORKER_ON") == str(pk):
        # Fault injection for the tests: die as the out-of-memory killer kills, without
        # an exception or any clean-up.
        os.kill(os.getpid(), signal.SIGKILL)
    try:
        reference = issue(Convention(pk=pk), rename_on_commit=rename_on_commit).reference
    except ValidationError as error:
        convention = Convention.objects.filter(pk=pk).first()
        reference = convention.reference if convention else str(pk)
        message = " ".join(error.messages)
        logger.warning("Convention non émise : %s", message, extra={"reference": reference})
        return reference, message
    except Exception as error:  # one broken convention must not stop the batch
        logger.exception("Convention d'identifiant %s non émise", pk)
        return str(pk), f"erreur inattendue : {error!r}"
    logger.info("Convention émise", extra={"reference": reference})
    return reference, None


KILLED = (
    "le processus qui l'émettait s'est arrêté brutalement (mémoire épuisée ou processus tué) ; "
    "relancez la commande pour la réessayer"
)


def issue_many(pks, *, workers=1, recycle=200):
    """Yield (reference, error or None) for each convention, in completion order."""
    if workers <= 1:
        yield from map(issue_one, pks)
        return
    from django.db import connections

    from conventions.models import Convention

    databases = {
        alias: {"NAME": connections[alias].settings_dict["NAME"]} for alias in connections
    }
    connections.close_all()
    # forkserver: workers are forked from a clean single-threaded server, not from this
    # process (which runs threads: the pool's own, the progress bar's). WeasyPrint's memory
    # grows in a long process: each worker is replaced after `recycle` documents.
    context = multiprocessing.get_context("forkserver")
    # The server would otherwise import the caller's __main__ (a script's module-level code
    # would run again there): it needs this module, and WeasyPrint, imported once there
    # rather than in every worker and every replacement (about a second each; the import
    # starts no thread, so the server still forks safely).
    context.set_forkserver_preload(["conventions.batch", "weasyprint"])

    def pool(size):
        # concurrent.futures, not multiprocessing.Pool: when a worker dies (SIGKILL from the
        # out-of-memory killer), the executor fails its futures with BrokenProcessPool where
        # Pool would wait forever for the lost task.
        return ProcessPoolExecutor(
            size,
            mp_context=context,
            initializer=setup_worker,
            initargs=(os.environ.get("DJANGO_SETTINGS_MODULE", "entconv.settings"), databases),
            max_tasks_per_child=recycle,
        )

    queue = deque(pks)
    while queue:
        # A broken pool fails every convention in flight, the dead worker's and those of the
        # workers it took down with it: each is tried again alone, and only one that kills
        # its worker again is reported.
        suspects = yield from _run(pool(workers), queue, workers)
        for pk in suspects:
            if (yield from _run(pool(1), deque([pk]), 1)):
                convention = Convention.objects.filter(pk=pk).first()
                yield (convention.reference if convention else str(pk)), KILLED


def _run(executor, queue, workers):
    """Yield the outcomes of the queue's conventions; return those in flight if it broke."""
    in_flight = {}
    with executor:
        while queue or in_flight:
            # At most one convention per worker is submitted, so that when the pool breaks
            # the conventions it held are known exactly.
            while queue and len(in_flight) < workers:
                pk = queue.popleft()
                in_flight[executor.submit(issue_one, pk)] = pk
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = []
            for future in done:
                pk = in_flight.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    broken.append(pk)
                else:
                    yield outcome
            if broken:
                # The other futures fail at once too (or finished just before).
                for future in as_completed(list(in_flight)):
                    pk = in_flight.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        broken.append(pk)
                    else:
                        yield outcome
                return broken
    return []
