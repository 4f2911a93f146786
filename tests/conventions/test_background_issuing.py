import html

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from conventions.enums import ConventionStatus
from conventions.models import Convention, IssuingBatch
from tests.factories import ConventionFactory, complete_convention


# The worker manages its own transactions, as in production: no test transaction around it.
@pytest.mark.django_db(transaction=True)
def test_the_admin_action_issues_in_the_background_worker_and_shows_progress(admin_client):
    good = complete_convention()
    broken = ConventionFactory(document_date=None)
    changelist = reverse("admin:conventions_convention_changelist")

    response = admin_client.post(
        changelist,
        {
            "action": "issue_in_background",
            "_selected_action": [good.pk, broken.pk],
            "confirmed": "yes",
        },
        follow=True,
    )

    batch = IssuingBatch.objects.get()
    assert "2 brouillons à émettre en arrière-plan" in html.unescape(response.content.decode())
    assert DBTaskResult.objects.get().id.hex == batch.task_id.replace("-", "")
    assert Convention.objects.get(pk=good.pk).status == ConventionStatus.BROUILLON

    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    batch.refresh_from_db()
    assert batch.state == "terminée"
    assert (batch.total, batch.issued_count) == (2, 1)
    assert batch.failures[0]["reference"] == broken.reference
    assert "aucune école inscrite" in batch.failures[0]["erreur"]
    assert Convention.objects.get(pk=good.pk).status == ConventionStatus.EMISE
    page = admin_client.get(
        reverse("admin:conventions_issuingbatch_change", args=[batch.pk])
    ).content.decode()
    assert "2 sur 2" in page
    assert broken.reference in page
