"""The delete page of a convention that is no longer a draft: a 403 in the admin's layout
that says to cancel it; a draft's delete page is unchanged."""

import pytest
from django.urls import reverse

from conventions.models import Convention
from tests.portal_helpers import mark_issued
from tests.roles import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ceret(seed_data):
    return Convention.objects.get(commune__insee_code="66049")


def delete_url(convention):
    return reverse("admin:conventions_convention_delete", args=[convention.pk])


@pytest.mark.parametrize("role", ["superuser", "gestion"])
def test_an_issued_convention_is_not_deleted_and_the_page_says_why(client, ceret, role):
    mark_issued(ceret)
    client.force_login(make_user(role))

    for response in (
        client.get(delete_url(ceret)),
        client.post(delete_url(ceret), {"post": "yes"}),
    ):
        assert response.status_code == 403
        page = response.content.decode()
        assert "Suppression impossible" in page
        assert f"La convention {ceret.reference} est émise" in page
        assert 'id="site-name"' in page  # the admin's header
    assert Convention.objects.filter(pk=ceret.pk).exists()


def test_without_the_right_to_delete_the_refusal_stays_plain(client, ceret):
    mark_issued(ceret)
    client.force_login(make_user("comptabilite"))
    response = client.get(delete_url(ceret))
    assert response.status_code == 403
    assert "Suppression impossible" not in response.content.decode()


def test_a_draft_is_still_deleted(client, ceret):
    client.force_login(make_user("gestion"))
    confirm = client.get(delete_url(ceret))
    assert confirm.status_code == 200
    assert "Suppression impossible" not in confirm.content.decode()
    client.post(delete_url(ceret), {"post": "yes"})
    assert not Convention.objects.filter(pk=ceret.pk).exists()
