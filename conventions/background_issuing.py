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
from collections import deque
from datetime import timedelta
from itertools import islice

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
# Drafts looked at by each take: the batch's thousands of ids in one IN list cost about
# 25 ms of the worker's processor, and as much of PostgreSQL's, for each convention
# (2,400 ids, bench/issuing_queue.py). The remaining ones are read once per task, without
# that list, then taken a few at a time.
WINDOW = 32


def remaining_ids(batch):
    """The batch's drafts still to issue (not failed), in issuing order.

    Read as the year's (and académie's) drafts, kept when they belong to the batch: a batch
    is made of one year's conventions (and one académie's, since batches carry it).
    """
    wanted = set(batch.convention_ids).difference(
        failure["id"] for failure in batch.failures if "id" in failure
    )
    drafts = Convention.objects.filter(
        school_year=batch.school_year_id, status=ConventionStatus.BROUILLON
    )
    if batch.academie_id is not None:
        drafts = drafts.filter(academie=batch.academie_id)
    ordered = drafts.order_by("academie__code", "commune__insee_code", "pk")
    return deque(pk for pk in ordered.values_list("pk", flat=True) if pk in wanted)


def start(batch):
    with transaction.atomic():
        batch = IssuingBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.started_at is None:
            batch.started_at = timezone.now()
            batch.total = len(remaining_ids(batch))
            batch.save(update_fields=["started_at", "total"])
    return batch


def _take(batch, candidates):
    """Lock the first free draft among `candidates`, a few at a time; None when none is."""
    failed = [failure["id"] for failure in batch.failures if "id" in failure]
    while candidates:
        window = list(islice(candidates, WINDOW))
        pk = (
            Convention.objects.filter(pk__in=window, status=ConventionStatus.BROUILLON)
            .exclude(pk__in=failed)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if pk is not None:
            candidates.remove(pk)
            return pk
        # Issued, failed or held by another worker (whose death `work` notices): skipped.
        for _ in window:
            candidates.popleft()
    return None


def issue_next(batch, candidates):
    """Issue the next free draft among `candidates` (from remaining_ids, consumed as it goes);
    return False when none was free."""
    with transaction.atomic():
        pk = _take(batch, candidates)
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
    batch.failures = locked.failures
    return True


def work(batch, successor_id):
    """Issue for a moment; when nothing is left, finish the batch or wait for the others."""
    deadline = time.monotonic() + TASK_BUDGET.total_seconds()
    candidates = remaining_ids(batch)
    while time.monotonic() < deadline:
        if not issue_next(batch, candidates):
            break
    else:
        return
    if remaining_ids(batch):
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
