from decimal import Decimal

import pytest
from django.urls import reverse

from communes.models import Commune
from tests.factories import CommuneFactory, DepartementFactory, SchoolFactory, SchoolYearFactory

pytestmark = pytest.mark.django_db


def simulate(client, **params):
    return client.get(reverse("conventions:simulator"), params).content.decode()


def test_normalize_name():
    assert Commune.normalize_name("Céret") == "ceret"
    assert Commune.normalize_name("  SAINT-GÉNIS-des-Fontaines ") == "saint genis des fontaines"
    assert Commune.normalize_name("L'Isle-Jourdain") == "l isle jourdain"
    assert Commune.normalize_name("Œuilly") == "oeuilly"


def test_ceret_is_found_without_accent_and_shows_fee(client, seed_data):
    content = simulate(client, school_year="2026-2027", q="ceret")
    assert "Céret" in content
    assert "Écoles publiques ouvertes (4)" in content
    assert "4 écoles × 41,00\N{NO-BREAK SPACE}€ = 164,00\N{NO-BREAK SPACE}€" in content
    assert "cent soixante-quatre euros" in content


@pytest.mark.parametrize("query", ["CERET", "Céret", "66049", "66400", "cér"])
def test_search_by_name_insee_or_postal_code(client, seed_data, query):
    assert '<h2 id="simulation">Céret – 2026-2027</h2>' in simulate(
        client, school_year="2026-2027", q=query
    )


def test_year_without_tariff_says_so(client, seed_data):
    # A year begun whose rate Montpellier has not set (a year to come is offered only with
    # a rate: test_public_school_year.py).
    content = simulate(client, school_year="2025-2026", q="ceret")
    assert (
        "Le tarif de l'académie de Montpellier pour l'année 2025-2026 n'est pas encore fixé"
        in content
    )


def test_several_communes_are_listed_then_one_chosen(client, db):
    departement = DepartementFactory()
    SchoolYearFactory()
    CommuneFactory(name="Saint-Jean", departement=departement)
    second = CommuneFactory(name="Saint-Jean-Lherm", departement=departement)
    SchoolFactory.create_batch(2, commune=second)
    SchoolFactory(commune=second, status="ferme")
    content = simulate(client, school_year="2026-2027", q="saint jean")
    assert "Saint-Jean-Lherm" in content
    assert 'id="simulation"' not in content
    content = simulate(client, school_year="2026-2027", q="saint jean", commune=second.insee_code)
    assert "Écoles publiques ouvertes (2)" in content
    assert "Aucun tarif" not in content


def test_nothing_found(client, seed_data):
    content = simulate(client, school_year="2026-2027", q="zzzz")
    assert "Aucune commune ne correspond à « zzzz »" in content


def test_tariff_of_the_year_is_used(client, seed_data):
    from conventions.models import Tariff

    Tariff.objects.filter(school_year__label="2026-2027", academie__code="11").update(
        rate=Decimal("50.50")
    )
    assert "4 écoles × 50,50\N{NO-BREAK SPACE}€ = 202,00\N{NO-BREAK SPACE}€" in simulate(
        client, school_year="2026-2027", q="ceret"
    )


def test_a_name_inside_another_is_found_when_no_name_starts_with_it(client, db):
    SchoolYearFactory()
    CommuneFactory(name="Saint-Génis-des-Fontaines")
    content = simulate(client, school_year="2026-2027", q="genis")
    assert "Saint-Génis-des-Fontaines" in content


def test_unknown_school_year_is_an_error_not_a_crash(client, seed_data):
    content = simulate(client, school_year="1999-2000", q="ceret")
    assert "Sélectionnez un choix valide" in content
    assert 'id="simulation"' not in content


def test_home_page_explains_the_fee_with_the_latest_rates(client, seed_data):
    content = client.get(reverse("conventions:home")).content.decode()
    assert "Tarifs par école pour l'année scolaire 2026-2027" in content
    assert "<td>académie de Montpellier</td><td>41,00\N{NO-BREAK SPACE}€</td>" in content
    assert "4 écoles × 41,00\N{NO-BREAK SPACE}€ = 164,00\N{NO-BREAK SPACE}€" in content


def auto_ecole_in_ceret():
    # As the Annuaire lists it: a private primary school of Céret, which no convention counts
    # unless the collectivité enrols it.
    return SchoolFactory(
        uai="0661234X",
        name="Auto Ecole (Ecole primaire privée)",
        kind="primaire",
        sector="prive",
        commune=Commune.objects.get(insee_code="66049"),
    )


def test_private_schools_are_listed_apart_and_not_counted_by_default(client, seed_data):
    auto_ecole_in_ceret()
    content = simulate(client, school_year="2026-2027", q="ceret")
    assert "Écoles publiques ouvertes (4)" in content
    assert "École privée de la commune (1) : non comptée" in content
    assert "Auto Ecole (Ecole primaire privée)" in content
    # The figure of Céret's convention.
    assert "4 écoles × 41,00\N{NO-BREAK SPACE}€ = 164,00\N{NO-BREAK SPACE}€" in content


def test_private_schools_are_counted_on_request(client, seed_data):
    auto_ecole_in_ceret()
    content = simulate(client, school_year="2026-2027", q="ceret", prive="on")
    assert "École privée de la commune (1) : comptée" in content
    assert "5 écoles × 41,00\N{NO-BREAK SPACE}€ = 205,00\N{NO-BREAK SPACE}€" in content
