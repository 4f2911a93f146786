"""Rendered public pages are cached, and a change shows at once (conventions/portal_cache)."""

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from conventions.enums import ConventionStatus
from conventions.models import Tariff
from schools.annuaire import import_annuaire
from schools.enums import SchoolStatus
from schools.models import School
from tests.portal_helpers import issued_ceret, make_pdf
from tests.schools.annuaire_rows import OCCITANIE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def ceret(seed_data):
    return issued_ceret()


def test_a_second_view_of_a_convention_page_renders_nothing_again(
    client, ceret, django_assert_num_queries
):
    _, token = ceret
    url = reverse("conventions:portal", args=[token])
    first = client.get(url).content.decode()
    # Only the query that resolves the token: the page comes from the cache.
    with django_assert_num_queries(1):
        second = client.get(url).content.decode()
    assert CSRF_INPUT.sub("", first) == CSRF_INPUT.sub("", second)


def test_the_cached_page_holds_neither_token_and_each_visitor_gets_a_working_csrf_token(ceret):
    convention, token = ceret
    url = reverse("conventions:portal", args=[token])
    Client().get(url)
    # Local-memory cache keys read ":<version>:<key>".
    cached = [
        cache.get(key.split(":", 2)[2]) for key in cache._cache if ":portal:convention:" in key
    ]
    assert len(cached) == 1
    placeholder, html = cached[0]
    assert token not in html
    assert placeholder in html

    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(url).content.decode()
    csrf = CSRF_INPUT.search(page).group(1)
    assert csrf != placeholder
    assert 'href="convention.pdf"' in page
    response = visitor.post(
        url,
        {
            "csrfmiddlewaretoken": csrf,
            "signed_pdf": SimpleUploadedFile("signee.pdf", make_pdf(), "application/pdf"),
            "act_date": "2026-06-03",
            "act_identifier": "066-216600494-20260603-DCM1212026-DE",
        },
    )
    assert response.status_code == 302
    convention.refresh_from_db()
    assert convention.status == ConventionStatus.SIGNEE_COLLECTIVITE


def test_a_change_of_the_convention_shows_at_once(client, ceret):
    convention, token = ceret
    url = reverse("conventions:portal", args=[token])
    assert "Déposer la convention signée" in client.get(url).content.decode()

    convention.transition_to(ConventionStatus.ANNULEE, reason="Erreur de commune")
    content = client.get(url).content.decode()
    assert "Cette convention a été annulée le" in content
    assert "Déposer la convention signée" not in content


def test_a_change_of_a_related_name_shows_at_once(client, ceret):
    convention, token = ceret
    url = reverse("conventions:portal", args=[token])
    client.get(url)
    collectivite = convention.collectivite
    collectivite.name = "COMMUNE DE CÉRET (NOUVEAU NOM)"
    collectivite.save()
    assert "COMMUNE DE CÉRET (NOUVEAU NOM)" in client.get(url).content.decode()


def simulate(client, **params):
    return client.get(reverse("conventions:simulator"), params).content.decode()


def test_a_repeated_simulation_runs_no_query(client, seed_data, django_assert_num_queries):
    first = simulate(client, school_year="2026-2027", q="ceret")
    assert "Écoles publiques ouvertes (4)" in first
    with django_assert_num_queries(0):
        assert simulate(client, school_year="2026-2027", q="ceret") == first


def test_a_school_closed_or_a_rate_changed_in_the_admin_shows_at_once(client, seed_data):
    assert "Écoles publiques ouvertes (4)" in simulate(client, school_year="2026-2027", q="ceret")
    school = School.objects.get(uai="0660560A")
    school.status = SchoolStatus.FERME
    school.save()
    assert "Écoles publiques ouvertes (3)" in simulate(client, school_year="2026-2027", q="ceret")

    tariff = Tariff.objects.get(school_year__label="2026-2027", academie__code="11")
    tariff.rate = "43.00"
    tariff.save()
    assert "3 écoles × 43,00\N{NO-BREAK SPACE}€ = 129,00\N{NO-BREAK SPACE}€" in simulate(
        client, school_year="2026-2027", q="ceret"
    )
    tariff.delete()
    assert "n'est pas encore fixé" in simulate(client, school_year="2026-2027", q="ceret")


def test_an_annuaire_import_shows_at_once(client, db, django_capture_on_commit_callbacks):
    call_command("loaddata", "reference", verbosity=0)
    before = simulate(client, school_year="2026-2027", q="ceret")
    assert "Aucune commune ne correspond" in before
    with django_capture_on_commit_callbacks(execute=True):
        report = import_annuaire(OCCITANIE)
    assert not report.refused
    after = simulate(client, school_year="2026-2027", q="ceret")
    assert "Céret" in after
    assert "Écoles publiques ouvertes" in after


def test_no_cache_when_disabled(client, seed_data, settings, django_assert_num_queries):
    settings.PORTAL_CACHE_SECONDS = 0
    simulate(client, school_year="2026-2027", q="ceret")
    with django_assert_num_queries(4):
        simulate(client, school_year="2026-2027", q="ceret")


def test_the_home_page_follows_the_rates(client, seed_data):
    url = reverse("conventions:home")
    assert "41,00" in client.get(url).content.decode()
    tariff = Tariff.objects.get(school_year__label="2026-2027", academie__code="11")
    tariff.rate = "39.00"
    tariff.save()
    assert "39,00" in client.get(url).content.decode()
