"""Background tasks whose worker died (SIGKILL, out-of-memory killer, machine lost).

django-tasks-db marks a task RUNNING when a worker claims it and never hears from a worker
that dies: the task would stay "en cours" for ever. A running task holds a PostgreSQL
advisory lock named after it for as long as it runs, on its worker's connection; PostgreSQL
releases the lock when that connection drops, so a RUNNING task whose lock is free has lost
its worker. Its work is not lost: the batch's conventions it held were rolled back with the
connection and are taken again by the next task.
"""

import contextlib
import logging
import uuid
from datetime import timedelta

from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

# A task is claimed (committed RUNNING) a moment before it takes its lock.
CLAIM_GRACE = timedelta(seconds=5)

LOST = (
    "Le service d'arrière-plan qui exécutait cette tâche s'est arrêté brutalement "
    "(processus tué ou machine arrêtée). Le travail en cours a été annulé et repris par "
    "une autre tâche."
)


class WorkerLost(Exception):
    pass


def _key(task_id):
    return int.from_bytes(uuid.UUID(str(task_id)).bytes[:8], "big", signed=True)


def _try_lock(key):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        return cursor.fetchone()[0]


def _unlock(key):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextlib.contextmanager
def running(task_id):
    """Hold the task's lock while it runs (PostgreSQL; a single process needs none)."""
    if connection.vendor != "postgresql":
        yield
        return
    key = _key(task_id)
    _try_lock(key)
    try:
        yield
    finally:
        _unlock(key)


def fail_lost_tasks(task_path):
    """Mark failed the RUNNING tasks of `task_path` whose worker is gone; return how many."""
    if connection.vendor != "postgresql":
        return 0
    lost = 0
    claimed_before = timezone.now() - CLAIM_GRACE
    candidates = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, task_path=task_path, started_at__lt=claimed_before
    ).values_list("id", flat=True)
    for task_id in candidates:
        key = _key(task_id)
        if not _try_lock(key):
            continue  # its worker is alive and holds it
        try:
            marked = DBTaskResult.objects.filter(
                id=task_id, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=LOST,
            )
            if marked:
                logger.warning("Tâche %s : son service d'arrière-plan est mort", task_id)
            lost += marked
        finally:
            _unlock(key)
    return lost
