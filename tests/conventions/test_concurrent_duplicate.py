"""Two staff saving a convention for the same commune and year at the same moment: both pass
clean(), the database refuses the second. The second gets clean()'s French error on the form,
nothing of his is saved, and no 500."""

import threading
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse

from conventions.models import Convention
from tests.conventions.test_duplicate_convention import add_form
from tests.factories import (
    CollectiviteFactory,
    CommuneFactory,
    ConventionFactory,
    SchoolYearFactory,
)
from tests.roles import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(make_user("gestion"))
    return client


def in_another_connection(**convention):
    # Another staff member's request: its own connection, committed before ours saves.
    made = []

    def save():
        try:
            made.append(ConventionFactory(**convention))
        finally:
            connection.close()

    thread = threading.Thread(target=save)
    thread.start()
    thread.join()
    return made[0]


@contextmanager
def saved_by_someone_else_meanwhile(committed=False, **convention):
    # The race made deterministic: the other convention reaches the database once this
    # form's checks (clean(), then validate_unique()) have passed, before its save.
    validate_unique = Convention.validate_unique
    others = []

    def validate_then_lose_the_race(self, *args, **kwargs):
        validate_unique(self, *args, **kwargs)
        if not others:
            make = in_another_connection if committed else ConventionFactory
            others.append(make(**convention))

    with mock.patch.object(Convention, "validate_unique", validate_then_lose_the_race):
        yield others
    assert others, "the race never happened"


def commune_errors(response):
    return response.context["adminform"].form.errors.get("commune", [])


def test_the_add_page_shows_the_french_error(staff):
    collectivite = CollectiviteFactory()
    commune = CommuneFactory()
    collectivite.communes.add(commune)
    school_year = SchoolYearFactory()
    form = add_form(
        ConventionFactory.build(collectivite=collectivite, commune=commune),
        school_year=school_year.pk,
    )

    with saved_by_someone_else_meanwhile(
        collectivite=collectivite, commune=commune, school_year=school_year
    ) as others:
        response = staff.post(reverse("admin:conventions_convention_add"), form)

    assert response.status_code == 200
    [error] = commune_errors(response)
    assert error.startswith(f"Une convention existe déjà pour {commune.name} en {school_year}")
    assert "modifiez-la, ou annulez-la avant d'en établir une autre" in error
    assert not Convention.objects.exclude(pk=others[0].pk).exists()


def test_the_change_page_shows_the_french_error(staff):
    convention = ConventionFactory()
    free_commune = CommuneFactory()
    convention.collectivite.communes.add(free_commune)
    url = reverse("admin:conventions_convention_change", args=[convention.pk])

    with saved_by_someone_else_meanwhile(
        collectivite=convention.collectivite,
        commune=free_commune,
        school_year=convention.school_year,
    ):
        response = staff.post(url, add_form(convention, commune=free_commune.pk))

    assert response.status_code == 200
    [error] = commune_errors(response)
    assert error.startswith(
        f"Une convention existe déjà pour {free_commune.name} en {convention.school_year}"
    )
    convention.refresh_from_db()
    assert convention.commune_id != free_commune.pk


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a second connection writing meanwhile: SQLite's shared in-memory test database "
    "locks the table",
)
@pytest.mark.django_db(transaction=True)
def test_a_convention_committed_meanwhile_in_another_connection(staff):
    # As in production: the other convention stays, and the error shows once, though the
    # form's second validation finds it too.
    collectivite = CollectiviteFactory()
    commune = CommuneFactory()
    collectivite.communes.add(commune)
    school_year = SchoolYearFactory()
    form = add_form(
        ConventionFactory.build(collectivite=collectivite, commune=commune),
        school_year=school_year.pk,
    )

    with saved_by_someone_else_meanwhile(
        committed=True, collectivite=collectivite, commune=commune, school_year=school_year
    ) as others:
        response = staff.post(reverse("admin:conventions_convention_add"), form)

    assert response.status_code == 200
    [error] = commune_errors(response)
    assert f"({others[0].reference}, brouillon)" in error
    assert list(Convention.objects.all()) == others


def test_without_a_race_the_same_form_saves(staff):
    # The counterpart of the tests above: their form is a valid one.
    convention = ConventionFactory()
    free_commune = CommuneFactory()
    convention.collectivite.communes.add(free_commune)
    url = reverse("admin:conventions_convention_change", args=[convention.pk])
    response = staff.post(url, add_form(convention, commune=free_commune.pk))
    assert response.status_code == 302
    convention.refresh_from_db()
    assert convention.commune_id == free_commune.pk
