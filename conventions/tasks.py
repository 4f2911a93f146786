from django.tasks import task

from communes.journal import acting_as
from conventions import background_issuing, task_recovery
from conventions.models import IssuingBatch


@task(takes_context=True)
def issue_in_background(context, batch_id):
    # Runs in `manage.py db_worker`, so that a whole académie is issued without a browser;
    # one link of the chain described in conventions/background_issuing.py.
    with task_recovery.running(context.task_result.id):
        task_recovery.fail_lost_tasks(issue_in_background.module_path)
        batch = IssuingBatch.objects.get(pk=batch_id)
        if batch.finished_at is None:
            batch = background_issuing.start(batch)
            successor = issue_in_background.enqueue(batch_id)
            with acting_as(batch.created_by):
                background_issuing.work(batch, successor.id)
            batch.refresh_from_db()
    return {"issued": batch.issued_count, "failed": len(batch.failures)}
