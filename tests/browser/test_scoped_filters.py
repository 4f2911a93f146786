"""The list filters offer an agent the académies and départements of his scope only."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.roles import make_user

pytestmark = pytest.mark.browser


def filter_section(page, title):
    return page.locator("#changelist-filter details", has=page.locator("summary", has_text=title))


def open_list(page, name):
    page.get_by_role("link", name="ENT-École — conventions").click()
    page.locator("#content-main th[scope=row]").get_by_role("link", name=name, exact=True).click()


@pytest.mark.parametrize("list_name", ["Conventions", "Titres de perception"])
def test_a_toulouse_agent_filters_on_toulouse_only(page, live_server, live_seed_data, list_name):
    log_in(page, live_server, make_user("comptabilite", academie="16"))
    open_list(page, list_name)

    departements = filter_section(page, "Par département")
    expect(departements.get_by_role("link", name="12 – Aveyron")).to_be_visible()
    expect(departements).not_to_contain_text("Pyrénées-Orientales")
    expect(departements).not_to_contain_text("Hérault")
    # One académie is no choice: its filter is left out.
    expect(filter_section(page, "Par académie")).to_have_count(0)
    expect(page.locator("#changelist-filter")).not_to_contain_text("Montpellier")


def test_a_region_agent_filters_on_both_academies(page, live_server, live_seed_data):
    log_in(page, live_server, make_user("comptabilite"))
    open_list(page, "Conventions")

    departements = filter_section(page, "Par département")
    expect(departements.get_by_role("link", name="12 – Aveyron")).to_be_visible()
    expect(departements.get_by_role("link", name="66 – Pyrénées-Orientales")).to_be_visible()
    expect(filter_section(page, "Par académie")).to_contain_text("académie de Montpellier")


def test_the_toulouse_filter_still_filters(page, live_server, live_seed_data):
    log_in(page, live_server, make_user("gestion", academie="16"))
    open_list(page, "Conventions")

    filter_section(page, "Par département").get_by_role("link", name="12 – Aveyron").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_contain_text("Rodez")
    expect(page.locator("#result_list")).not_to_contain_text("Castelnau")
