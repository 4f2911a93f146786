"""An empty list says what it would hold and how its rows are made."""

import pytest
from playwright.sync_api import expect

from conventions.models import SchoolYear
from tests.browser.conftest import log_in
from tests.roles import make_user

pytestmark = pytest.mark.browser


def open_list(page, name):
    page.get_by_role("link", name="ENT-École — conventions").click()
    page.locator("#content-main th[scope=row]").get_by_role("link", name=name, exact=True).click()


def test_the_empty_titres_list_explains_what_a_titre_is(page, live_server, live_seed_data):
    log_in(page, live_server, make_user("comptabilite"))
    open_list(page, "Titres de perception")

    help_text = page.locator(".entconv-empty")
    expect(help_text).to_contain_text("Aucun titre de perception pour l'instant.")
    expect(help_text).to_contain_text("signée par les deux parties")
    expect(help_text).to_contain_text(
        "« Préparer les titres de perception, à vérifier avant émission »"
    )
    # It leads to where titres are made.
    help_text.get_by_role("link", name="liste des conventions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conventions")


def test_a_year_without_conventions_says_how_to_prepare_them(page, live_server, live_seed_data):
    SchoolYear.objects.create(label="2027-2028")
    log_in(page, live_server, make_user("gestion"))
    open_list(page, "Conventions")
    expect(page.locator(".entconv-empty")).to_have_count(0)

    page.locator("#changelist-filter").get_by_role("link", name="2027-2028").click()

    help_text = page.locator(".entconv-empty")
    expect(help_text).to_contain_text("Aucune convention pour 2027-2028.")
    expect(help_text).to_contain_text("« Préparer la campagne 2027-2028… »")
    help_text.get_by_role("link", name="2026-2027").click()
    expect(page.get_by_role("link", name="Préparer la campagne 2027-2028…")).to_be_visible()
