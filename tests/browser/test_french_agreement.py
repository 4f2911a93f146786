"""Counts and labels agree in French: "0 école", "1 école", "2 écoles", "maternelle
publique"."""

import pytest
from playwright.sync_api import expect

from communes.models import Commune
from tests import permissions_helpers as h
from tests.browser.conftest import log_in
from tests.factories import SchoolFactory
from tests.roles import make_user

pytestmark = pytest.mark.browser


def open_ceret(page):
    page.get_by_role("link", name="ENT-École — conventions").click()
    page.locator("#content-main th[scope=row]").get_by_role(
        "link", name="Conventions", exact=True
    ).click()
    page.locator("#changelist-filter").get_by_role("link", name="2026-2027").click()
    page.locator("#result_list").get_by_role("link", name="Céret").click()


def test_adding_schools_counts_in_french(page, live_server, live_seed_data):
    ceret = Commune.objects.get(insee_code="66049")
    school = SchoolFactory(commune=ceret, name="ECOLE MATERNELLE NOUVELLE", kind="maternelle")
    log_in(page, live_server, make_user("gestion"))

    open_ceret(page)
    page.get_by_role("link", name="Ajouter toutes les écoles ouvertes de la commune").click()
    page.get_by_role("checkbox").uncheck()
    page.get_by_role("button", name="Ajouter les écoles cochées").click()
    expect(page.locator(".messagelist")).to_have_text(
        f"0 école ajoutée à la convention {h.ceret().reference}."
    )

    page.get_by_role("link", name="Ajouter toutes les écoles ouvertes de la commune").click()
    page.get_by_role("button", name="Ajouter les écoles cochées").click()
    expect(page.locator(".messagelist")).to_have_text(
        f"1 école ajoutée à la convention {h.ceret().reference}."
    )
    assert h.ceret().schools.filter(pk=school.pk).exists()


def test_the_schools_list_says_maternelle_publique(page, live_server, live_seed_data):
    SchoolFactory(
        commune=Commune.objects.get(insee_code="66049"),
        name="ECOLE MATERNELLE NOUVELLE",
        kind="maternelle",
    )
    log_in(page, live_server, make_user("gestion"))
    page.locator("#content-main th[scope=row]").get_by_role(
        "link", name="Écoles", exact=True
    ).click()
    page.get_by_role("search").get_by_role("textbox").fill("MATERNELLE NOUVELLE")
    page.get_by_role("button", name="Rechercher").click()

    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("maternelle publique")
