"""The background issuings are the history of who issued what: nobody deletes one."""

import pytest
from django.urls import reverse

from conventions.models import IssuingBatch
from tests.factories import SchoolYearFactory
from tests.roles import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["gestion", "superuser"])
def test_nobody_deletes_a_background_issuing(client, role):
    user = make_user(role)
    batch = IssuingBatch.objects.create(school_year=SchoolYearFactory(), created_by=user)
    client.force_login(user)
    page = client.get(reverse("admin:conventions_issuingbatch_change", args=[batch.pk]))
    assert page.status_code == 200
    assert "Supprimer" not in page.content.decode()
    delete = reverse("admin:conventions_issuingbatch_delete", args=[batch.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = client.get(reverse("admin:conventions_issuingbatch_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    assert IssuingBatch.objects.filter(pk=batch.pk).exists()
