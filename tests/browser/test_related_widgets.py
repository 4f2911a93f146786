"""A convention's form never offers to delete the reference rows its fields point to (the ×
next to a foreign key's select)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.roles import make_user

pytestmark = pytest.mark.browser

DELETE = re.compile(r"^Supprimer")


def test_the_convention_form_offers_no_deletion_of_its_references(
    page, live_server, live_seed_data
):
    log_in(page, live_server, make_user("superuser"))
    page.locator("#content-main th[scope=row]").get_by_role(
        "link", name="Conventions", exact=True
    ).first.click()
    page.locator("#changelist-filter").get_by_role("link", name="2026-2027").click()
    page.locator("#result_list").get_by_role("link", name="Céret").click()

    form = page.locator("#convention_form")
    # The other icons stay: adding or changing a reference row is harmless.
    expect(form.get_by_title(re.compile("^Modifier")).first).to_be_attached()
    expect(form.get_by_title(DELETE)).to_have_count(0)
