"""An agent clicks "Supprimer" on a draft that a colleague has issued meanwhile: the admin
(not the public site) explains in French that an issued convention is not deleted but
cancelled, and the convention stays."""

import pytest
from playwright.sync_api import expect

from conventions.models import Convention
from tests.browser.conftest import log_in
from tests.browser.test_rectorat import open_convention
from tests.portal_helpers import mark_issued
from tests.roles import make_user

pytestmark = pytest.mark.browser


def test_deleting_a_convention_issued_meanwhile_is_refused_in_the_admin(
    page, live_server, live_seed_data, screenshot
):
    ceret = Convention.objects.get(commune__insee_code="66049")
    log_in(page, live_server, make_user("superuser"))
    open_convention(page, "Céret (66049)")
    delete = page.get_by_role("button", name="Supprimer", exact=True)
    expect(delete).to_be_visible()

    mark_issued(ceret)  # a colleague issues it while the page is open
    delete.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Suppression impossible")
    content = page.locator("#content-main")
    expect(content).to_contain_text(
        f"La convention {ceret.reference} est émise : une convention émise ne peut pas être "
        "supprimée."
    )
    expect(content).to_contain_text("Annulez-la plutôt")
    # The admin's own layout: its header, breadcrumbs and logout.
    expect(page.locator("#site-name")).to_be_visible()
    expect(page.locator(".breadcrumbs")).to_contain_text(ceret.reference)
    expect(page.locator(".fr-header")).to_have_count(0)  # the public site's header
    screenshot("suppression-refusee")

    page.get_by_role("link", name="Annuler la convention…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Annuler")
    assert Convention.objects.filter(pk=ceret.pk, status="emise").exists()
