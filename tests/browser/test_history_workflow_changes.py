"""The Historique shows what a workflow changed (a status, a link's date), not only what a
person edited on the form."""

import pytest
from playwright.sync_api import expect

from tests import permissions_helpers as h
from tests.browser.conftest import log_in
from tests.roles import make_user

pytestmark = pytest.mark.browser


def test_a_status_change_shows_in_the_history(page, live_server, live_seed_data):
    h.issued_ceret()  # data: brouillon → émise through transition_to()
    log_in(page, live_server, make_user("gestion"))
    page.locator("th[scope=row]").get_by_role("link", name="Conventions", exact=True).first.click()
    page.locator("#changelist-filter").get_by_role("link", name="2026-2027").click()
    page.locator("#result_list").get_by_role("link", name="Céret").click()
    page.get_by_role("link", name="Historique").click()

    rows = page.locator("#change-history tbody tr")
    expect(rows.filter(has_text="statut : brouillon → émise")).to_have_count(1)
