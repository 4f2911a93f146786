"""A second live convention for a commune and year, or a commune its collectivité does not
cover, is refused in the form with a French message; nothing is saved and no 500."""

import pytest
from django.urls import reverse

from conventions.models import Convention
from tests.factories import CollectiviteFactory, CommuneFactory, ConventionFactory
from tests.roles import make_user

pytestmark = pytest.mark.django_db


def add_form(convention, **changes):
    data = {
        "collectivite": convention.collectivite_id,
        "commune": convention.commune_id,
        "school_year": convention.school_year_id,
        "academie": convention.academie_id,
        "document_date": "21/05/2026",
        "enrollments-TOTAL_FORMS": "0",
        "enrollments-INITIAL_FORMS": "0",
        "enrollments-MIN_NUM_FORMS": "0",
        "enrollments-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


@pytest.fixture
def staff(client):
    client.force_login(make_user("superuser"))
    return client


def test_a_second_convention_for_the_same_commune_and_year_is_refused(staff):
    existing = ConventionFactory()
    response = staff.post(reverse("admin:conventions_convention_add"), add_form(existing))
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        f"Une convention existe déjà pour {existing.commune.name} en {existing.school_year}"
        in page
    )
    assert Convention.objects.count() == 1


def test_moving_a_convention_onto_a_taken_commune_and_year_is_refused(staff):
    existing = ConventionFactory()
    other = ConventionFactory(collectivite=existing.collectivite, school_year=existing.school_year)
    url = reverse("admin:conventions_convention_change", args=[other.pk])
    response = staff.post(url, add_form(other, commune=existing.commune_id))
    assert response.status_code == 200
    assert "Une convention existe déjà pour" in response.content.decode()
    other.refresh_from_db()
    assert other.commune_id != existing.commune_id


def test_a_cancelled_convention_leaves_room_for_a_new_one(staff):
    cancelled = ConventionFactory()
    Convention.objects.filter(pk=cancelled.pk).update(status="annulee")
    response = staff.post(reverse("admin:conventions_convention_add"), add_form(cancelled))
    assert response.status_code == 302
    new = Convention.objects.exclude(pk=cancelled.pk).get()
    assert new.number == 2


def test_a_commune_the_collectivite_does_not_cover_is_refused(staff):
    convention = ConventionFactory.build(
        collectivite=CollectiviteFactory(), commune=CommuneFactory()
    )
    convention.school_year.save()
    response = staff.post(
        reverse("admin:conventions_convention_add"),
        add_form(convention, school_year=convention.school_year.pk),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        f"{convention.collectivite.name} ne couvre pas la commune {convention.commune.name}"
        in page
    )
    assert not Convention.objects.exists()
