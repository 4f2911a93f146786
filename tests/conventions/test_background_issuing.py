import html
from collections import deque

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from conventions import background_issuing
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


@pytest.mark.django_db
def test_a_take_skips_the_windows_already_issued_and_never_a_failed_draft(
    private_storage, monkeypatch
):
    monkeypatch.setattr(background_issuing, "WINDOW", 2)
    drafts = [complete_convention(school_count=1) for _ in range(5)]
    # Issued by another worker, and one that failed earlier in this batch.
    Convention.objects.filter(pk__in=[d.pk for d in drafts[:3]]).update(
        status=ConventionStatus.EMISE
    )
    batch = IssuingBatch.objects.create(
        school_year=drafts[0].school_year,
        convention_ids=[d.pk for d in drafts],
        total=5,
        failures=[{"id": drafts[3].pk, "reference": drafts[3].reference, "erreur": "x"}],
    )
    candidates = deque(d.pk for d in drafts)

    assert background_issuing.issue_next(batch, candidates)
    assert not background_issuing.issue_next(batch, candidates)

    assert Convention.objects.get(pk=drafts[4].pk).status == ConventionStatus.EMISE
    assert Convention.objects.get(pk=drafts[3].pk).status == ConventionStatus.BROUILLON
    assert not candidates
    batch.refresh_from_db()
    assert batch.issued_count == 1


@pytest.mark.django_db
def test_issuing_one_convention_of_a_batch_reads_each_row_once(private_storage):
    drafts = [complete_convention(school_count=2) for _ in range(2)]
    batch = IssuingBatch.objects.create(
        school_year=drafts[0].school_year, convention_ids=[d.pk for d in drafts], total=2
    )
    candidates = background_issuing.remaining_ids(batch)
    background_issuing.issue_next(batch, candidates)  # the journal's head, first read

    with CaptureQueriesContext(connection) as queries:
        background_issuing.issue_next(batch, candidates)

    convention_reads = [
        query["sql"]
        for query in queries
        if query["sql"].startswith('SELECT "conventions_convention"."id", ')
    ]
    # The lock that reads the draft, and no second read (frozen fields, status change).
    assert len(convention_reads) == 1, convention_reads
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "conventions_convention"')]
    assert len(updates) == 1  # the frozen figures and the status together: one history version
    assert len(queries) <= 20, "\n".join(q["sql"][:120] for q in queries)
    issued = Convention.objects.get(pk=drafts[1].pk)
    assert issued.status == ConventionStatus.EMISE
    assert issued.history.count() == 2  # created, then issued
