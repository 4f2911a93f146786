"""A background batch issued by any number of `db_worker` processes, on any machines.

The batch is a chain of tasks: each task first enqueues its successor (which an idle worker
takes at once, so every worker joins in), then issues conventions for a moment. A
convention is taken with `select_for_update(skip_locked=True)` and its row lock is held
through the rendering, the storage write and the commit that also counts it in the batch:
two workers never take the same one, and a worker killed half-way loses its lock with its
connection, its work rolled back, so another takes the convention again. The PDF is written
under a pending name and renamed once the row is committed.
"""

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conventions.batch import issue_one
from conventions.enums import ConventionStatus
from conventions.issuing import finish_renames
from conventions.models import Convention, IssuingBatch
from conventions.private_storage import STORAGE_ERRORS

logger = logging.getLogger(__name__)

# A task issues for about this long: short enough that a worker asked to stop (SIGTERM,
# which lets the running task end) stops soon, long enough not to fill the tasks table
# with a row per convention.
TASK_BUDGET = timedelta(seconds=2)
# How long a task waits before looking again when the last conventions are all held by
# other workers (one of them may die: its convention comes back).
RECHECK = timedelta(seconds=1)


def _remaining(batch):
    failed = [failure["id"] for failure in batch.failures if "id" in failure]
    return Convention.objects.filter(
        pk__in=batch.convention_ids, status=ConventionStatus.BROUILLON
    ).exclude(pk__in=failed)


def start(batch):
    with transaction.atomic():
        batch = IssuingBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.started_at is None:
            batch.started_at = timezone.now()
            batch.total = _remaining(batch).count()
            batch.save(update_fields=["started_at", "total"])
    return batch


def issue_next(batch):
    """Issue the batch's next free draft; return False when none was free."""
    with transaction.atomic():
        pk = (
            _remaining(batch)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("academie__code", "commune__insee_code", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return False
        reference, error = issue_one(pk, rename_on_commit=True)
        # Counted in the transaction that issues: a convention is counted once, when it is.
        locked = IssuingBatch.objects.select_for_update().get(pk=batch.pk)
        if error:
            if all(failure.get("id") != pk for failure in locked.failures):
                locked.failures.append({"id": pk, "reference": reference, "erreur": error})
                locked.save(update_fields=["failures"])
        else:
            locked.issued_count += 1
            locked.save(update_fields=["issued_count"])
    batch.refresh_from_db(fields=["failures"])
    return True


def work(batch, successor_id):
    """Issue for a moment; when nothing is left, finish the batch or wait for the others."""
    deadline = time.monotonic() + TASK_BUDGET.total_seconds()
    while time.monotonic() < deadline:
        if not issue_next(batch):
            break
    else:
        return
    if _remaining(batch).exists():
        # Held by other workers: look again shortly, in case one of them dies.
        DBTaskResult.objects.filter(id=successor_id, status=TaskResultStatus.READY).update(
            run_after=timezone.now() + RECHECK
        )
        return
    finish(batch)


def finish(batch):
    with transaction.atomic():
        batch = IssuingBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.finished_at is not None:
            return
        # A worker killed between its commit and its rename left a pending name.
        try:
            finish_renames(Convention.objects.filter(pk__in=batch.convention_ids))
        except STORAGE_ERRORS:
            # The batch is over all the same; `verify_documents --repair` renames them.
            logger.exception("Émission %s : PDF en attente non renommés", batch.pk)
        batch.finished_at = timezone.now()
        batch.save(update_fields=["finished_at"])
