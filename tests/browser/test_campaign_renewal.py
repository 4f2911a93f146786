"""The rectorat prepares the 2027-2028 campaign from 2026-2027, in Chromium: the school year,
"Préparer la campagne 2027-2028…", what is missing (copied or added), the preview, the
confirmation, and the demo's Céret convention renewed with its 4 schools."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from communes.models import Commune
from conventions.models import Convention
from schools.models import School
from tests.browser.conftest import log_in
from tests.factories import valid_uai
from tests.roles import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(live_seed_data, monkeypatch):
    call_command("loaddata", "convention_templates", verbosity=0)
    # Opened in Céret since last year: proposed, never enrolled on its own.
    School.objects.create(
        uai=valid_uai(6609990),
        name="Ecole maternelle publique Les Cerisiers",
        kind="maternelle",
        commune=Commune.objects.get(insee_code="66049"),
    )
    # In spring, before the 2027-2028 rentrée, whenever the suite runs.
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2027, 5, 1)
    )


def open_school_year(page, label):
    page.get_by_role("link", name="ENT-École — conventions").click()
    page.locator("th[scope=row]").get_by_role("link", name="Années scolaires").click()
    page.get_by_role("link", name=label, exact=True).click()


def test_gestion_prepares_the_campaign_and_ceret_is_renewed(page, live_server, demo, screenshot):
    log_in(page, live_server, make_user("gestion"))
    open_school_year(page, "2026-2027")
    page.get_by_role("link", name="Préparer la campagne 2027-2028…").click()

    # Nothing exists yet for 2027-2028: the page says so and offers last year's copies.
    expect(page.locator(".errornote")).to_contain_text("Il manque : l'année scolaire 2027-2028")
    page.get_by_role("button", name="Copier depuis 2026-2027 ce qui manque").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "le signataire 2027-2028 de l'académie de Montpellier"
    )
    expect(page.locator(".errornote")).to_have_text(
        "Il manque : le tarif 2027-2028 de l'académie de Montpellier."
    )
    expect(page.get_by_role("button", name=re.compile("^Copier"))).to_have_count(0)
    screenshot("tarif-manquant")

    # The tariff is never guessed: staff type it.
    add_tariff = "Ajouter le tarif 2027-2028 de l'académie de Montpellier"
    page.get_by_role("link", name=add_tariff).click()
    page.get_by_label(re.compile(r"^tarif par école", re.IGNORECASE)).fill("43.00")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("ajouté")

    open_school_year(page, "2026-2027")
    page.get_by_role("link", name="Préparer la campagne 2027-2028…").click()
    preview = page.locator("#content-main")
    expect(preview).to_contain_text("Aperçu")
    expect(preview).to_contain_text("Céret (66049)")
    expect(preview).to_contain_text("172,00\xa0€")
    expect(preview).to_contain_text("Écoles à proposer (1)")
    expect(preview).to_contain_text("Céret : Ecole maternelle publique Les Cerisiers")
    screenshot("apercu")
    assert not Convention.objects.filter(school_year__label="2027-2028").exists()

    page.get_by_role("button", name="Créer la convention en brouillon").click()
    expect(page.locator(".entconv-renewal-done")).to_contain_text(
        "Campagne 2027-2028 préparée : 1 convention créée en brouillon, 4 écoles inscrites."
    )
    screenshot("rapport")

    page.get_by_role("link", name="Voir les conventions 2027-2028").click()
    expect(page.locator("#result_list")).to_contain_text("Céret")
    expect(page.locator("#result_list")).to_contain_text("172,00")
    renewed = Convention.objects.get(school_year__label="2027-2028", commune__name="Céret")
    last_year = Convention.objects.get(school_year__label="2026-2027", commune__name="Céret")
    assert renewed.collectivite == last_year.collectivite
    assert set(renewed.schools.all()) == set(last_year.schools.all())
    assert renewed.fee.rate == Decimal("43.00") and renewed.fee.amount == Decimal("172.00")

    # A second visit creates nothing and says why.
    open_school_year(page, "2026-2027")
    page.get_by_role("link", name="Préparer la campagne 2027-2028…").click()
    expect(page.locator("#content-main")).to_contain_text("a déjà une convention pour 2027-2028")
    expect(page.get_by_role("button", name=re.compile("^Créer"))).to_have_count(0)
