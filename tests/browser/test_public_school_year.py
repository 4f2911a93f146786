"""A visitor opens the simulator while staff prepare next year's campaign (QA finding)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from communes.models import Academie
from conventions.models import SchoolYear, Tariff

pytestmark = pytest.mark.browser

NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def december_2026(monkeypatch):
    moment = datetime.datetime(2026, 12, 3, 12, tzinfo=timezone.get_current_timezone())
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_the_simulator_stays_on_the_year_under_way(
    page, live_server, live_seed_data, december_2026, screenshot
):
    next_year = SchoolYear.objects.create(label="2027-2028")
    page.goto(live_server.url + "/")
    expect(page.get_by_text("Tarifs par école pour l'année scolaire 2026-2027")).to_be_attached()
    page.get_by_role("link", name="Simulateur de participation").first.click()
    year = page.get_by_label("Année scolaire")
    expect(year).to_have_value("2026-2027")
    expect(year.locator("option", has_text="2027-2028")).to_have_count(0)
    page.get_by_label("Commune : nom, code INSEE ou code postal").fill("ceret")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator(".fee")).to_contain_text(f"4 écoles × 41,00{NBSP}€ = 164,00{NBSP}€")

    # Once next year's rate is set, the visitor may choose it; the default does not move.
    Tariff.objects.create(
        school_year=next_year, academie=Academie.objects.get(code="11"), rate=Decimal("43.00")
    )
    page.get_by_role("link", name="Simulateur de participation").first.click()
    expect(year).to_have_value("2026-2027")
    year.select_option("2027-2028")
    page.get_by_label("Commune : nom, code INSEE ou code postal").fill("ceret")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator(".fee")).to_contain_text(f"4 écoles × 43,00{NBSP}€ = 172,00{NBSP}€")
    screenshot("annee-suivante-choisie")
