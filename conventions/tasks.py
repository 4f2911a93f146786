from django.tasks import task

from communes.journal import acting_as
from conventions.batch import issue_one
from conventions.models import IssuingBatch


@task
def issue_in_background(batch_id):
    # Runs in `manage.py db_worker`, so that a whole académie is issued without a browser.
    batch = IssuingBatch.objects.get(pk=batch_id)
    with acting_as(batch.created_by):
        batch.run(issue_one)
    return {"issued": batch.issued_count, "failed": len(batch.failures)}
