"""What the convention form refuses, in Chromium as the agent fills it: a second live
convention for a commune and year, or a commune its collectivité does not cover. The page
comes back with the reason in French on the commune; nothing is saved."""

import pytest
from playwright.sync_api import expect

from communes.models import Collectivite, Commune
from conventions.models import Convention, SchoolYear
from tests.browser.conftest import log_in
from tests.browser.test_rectorat import (
    PERPIGNAN_SCHOOLS,
    create_perpignan,
    fill_convention,
    open_conventions,
)
from tests.roles import make_user

pytestmark = pytest.mark.browser


def make_perpignan():
    commune = create_perpignan()
    collectivite = Collectivite.objects.create(
        name="COMMUNE DE PERPIGNAN",
        siret="21660136900012",
        address="PLACE DE LA LOGE",
        postal_code="66000",
        city="PERPIGNAN",
        representative_name="Louis ALIOT",
        representative_title="MAIRE",
        emails="ent-ecole@mairie-perpignan.example",
    )
    return commune, collectivite


def commune_error(page):
    return page.locator(".field-commune .errorlist")


def test_a_second_convention_for_the_commune_and_year_is_refused(
    page, live_server, live_seed_data, screenshot
):
    commune, collectivite = make_perpignan()
    collectivite.communes.set([commune])
    year = SchoolYear.objects.get(label="2026-2027")
    existing = Convention.objects.create(
        collectivite=collectivite,
        commune=commune,
        school_year=year,
        academie=commune.departement.academie,
    )
    log_in(page, live_server, make_user("gestion"))
    open_conventions(page)
    page.get_by_role("link", name="Ajouter une convention").click()
    fill_convention(page, "PERPIGNAN", "Perpignan (66136)", schools=PERPIGNAN_SCHOOLS[:2])
    page.get_by_role("button", name="Enregistrer", exact=True).click()

    expect(commune_error(page)).to_contain_text(
        f"Une convention existe déjà pour Perpignan en 2026-2027 ({existing.reference}"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter une convention")
    screenshot("doublon")
    assert list(Convention.objects.all().filter(commune=commune)) == [existing]
    assert not existing.enrollments.exists()


def test_a_commune_the_collectivite_does_not_cover_is_refused(
    page, live_server, live_seed_data, screenshot
):
    commune, collectivite = make_perpignan()
    collectivite.communes.set([Commune.objects.get(insee_code="66049")])  # Céret only
    log_in(page, live_server, make_user("gestion"))
    open_conventions(page)
    page.get_by_role("link", name="Ajouter une convention").click()
    fill_convention(page, "PERPIGNAN", "Perpignan (66136)", schools=PERPIGNAN_SCHOOLS[:1])
    page.get_by_role("button", name="Enregistrer", exact=True).click()

    expect(commune_error(page)).to_contain_text(
        "COMMUNE DE PERPIGNAN ne couvre pas la commune Perpignan"
    )
    screenshot("commune-non-couverte")
    assert not Convention.objects.filter(commune=commune).exists()
