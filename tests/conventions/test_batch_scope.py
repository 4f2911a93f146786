"""The background issuings are scoped like their conventions: each batch belongs to one
académie, is listed and opened by that académie's agents and the region's, and is a 404 for
the other académie's agents."""

import pytest
from django.test import Client
from django.urls import reverse

from conventions.models import IssuingBatch
from tests.roles import make_user
from tests.scope_helpers import load_world

pytestmark = pytest.mark.django_db


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def batch_page(client, batch):
    return client.get(reverse("admin:conventions_issuingbatch_change", args=[batch.pk]))


def listed(client):
    page = client.get(reverse("admin:conventions_issuingbatch_changelist"))
    assert page.status_code == 200
    return page, {batch.pk for batch in page.context["cl"].result_list}


def test_a_region_agents_issuing_makes_one_batch_per_academie_each_seen_by_its_own():
    world = load_world()
    toulouse_draft, montpellier_draft = world["16"]["draft"], world["11"]["draft"]
    # Both drafts must be of one school year for one action.
    montpellier_draft.school_year = toulouse_draft.school_year
    montpellier_draft.save()
    region = client_of(make_user("gestion", "region"))
    region.post(
        reverse("admin:conventions_convention_changelist"),
        {
            "action": "issue_in_background",
            "_selected_action": [toulouse_draft.pk, montpellier_draft.pk],
            "confirmed": "yes",
        },
    )
    batches = {batch.academie.code: batch for batch in IssuingBatch.objects.all()}
    assert set(batches) == {"16", "11"}
    assert batches["16"].convention_ids == [toulouse_draft.pk]
    assert batches["11"].convention_ids == [montpellier_draft.pk]

    toulouse = client_of(make_user("gestion", "toulouse", academie="16"))
    montpellier = client_of(make_user("gestion", "montpellier", academie="11"))
    page, shown = listed(toulouse)
    assert shown == {batches["16"].pk}
    year = toulouse_draft.school_year
    assert f"Émission {year}, académie de Toulouse" in page.text
    assert "1 brouillon à émettre" in page.text
    assert "Montpellier" not in page.text
    assert batch_page(toulouse, batches["16"]).status_code == 200
    assert batch_page(toulouse, batches["11"]).status_code == 404
    assert listed(montpellier)[1] == {batches["11"].pk}
    assert batch_page(montpellier, batches["11"]).status_code == 200
    assert batch_page(montpellier, batches["16"]).status_code == 404
    assert listed(region)[1] == {batches["16"].pk, batches["11"].pk}
    assert batch_page(region, batches["11"]).status_code == 200


def test_a_batch_of_another_academie_requested_by_a_superuser_stays_out_of_scope():
    world = load_world()
    superuser = client_of(make_user("superuser"))
    superuser.post(
        reverse("admin:conventions_convention_changelist"),
        {
            "action": "issue_in_background",
            "_selected_action": [world["11"]["draft"].pk],
            "confirmed": "yes",
        },
    )
    batch = IssuingBatch.objects.get()
    assert batch.academie.code == "11"
    toulouse = client_of(make_user("gestion", "toulouse", academie="16"))
    assert listed(toulouse)[1] == set()
    assert batch_page(toulouse, batch).status_code == 404
    montpellier = client_of(make_user("gestion", "montpellier", academie="11"))
    assert batch_page(montpellier, batch).status_code == 200


def test_an_old_batch_without_academie_is_for_the_region_only():
    world = load_world()
    batch = IssuingBatch.objects.create(school_year=world["16"]["draft"].school_year)
    toulouse = client_of(make_user("gestion", "toulouse", academie="16"))
    assert batch_page(toulouse, batch).status_code == 404
    assert listed(toulouse)[1] == set()
    region = client_of(make_user("gestion", "region"))
    assert batch_page(region, batch).status_code == 200
