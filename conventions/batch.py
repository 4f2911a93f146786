"""Issuing many conventions at once, in worker processes recycled as they age.

Imports nothing from Django at module level: worker processes load this module before
Django is configured, then `setup_worker` configures it.
"""

import multiprocessing
import os


def setup_worker(settings_module, databases):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django
    from django.conf import settings

    django.setup()
    # The parent's database settings as they are now (a test database has its own name).
    for alias, values in databases.items():
        settings.DATABASES[alias].update(values)


def issue_one(pk):
    """Issue one convention; report a failure instead of raising, so the batch goes on."""
    from django.core.exceptions import ValidationError

    from conventions.issuing import issue
    from conventions.models import Convention

    try:
        return issue(Convention(pk=pk)).reference, None
    except ValidationError as error:
        reference = Convention.objects.filter(pk=pk).first()
        return (reference.reference if reference else str(pk)), " ".join(error.messages)
    except Exception as error:  # one broken convention must not stop the batch
        return str(pk), f"erreur inattendue : {error!r}"


def issue_many(pks, *, workers=1, recycle=200):
    """Yield (reference, error or None) for each convention, in completion order."""
    if workers <= 1:
        yield from map(issue_one, pks)
        return
    from django.db import connections

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
    with context.Pool(
        workers,
        initializer=setup_worker,
        initargs=(os.environ.get("DJANGO_SETTINGS_MODULE", "entconv.settings"), databases),
        maxtasksperchild=recycle,
    ) as pool:
        yield from pool.imap_unordered(issue_one, pks, chunksize=1)
