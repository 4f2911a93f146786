import pytest
from playwright.sync_api import expect

from schools.models import School
from tests.browser.conftest import log_in
from tests.roles import make_user

pytestmark = pytest.mark.browser


def test_staff_set_the_name_a_school_prints_in_conventions(
    page, live_server, live_seed_data, screenshot
):
    log_in(page, live_server, make_user("gestion"))

    # The app section and its model are both "Écoles": the model's row opens the list.
    page.locator("#content-main th[scope=row]").get_by_role(
        "link", name="Écoles", exact=True
    ).click()
    page.get_by_role("search").get_by_role("textbox").fill("Mouthoumet")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="0110422Z").click()
    expect(page.get_by_text("MOUTHOUMET - 11 - E.P.PU MOUTHOUMET - 0110422Z")).to_be_visible()
    page.get_by_label("Libellé imprimé").fill("Route de Salza")
    page.get_by_role("button", name="Enregistrer et continuer les modifications").click()

    expect(page.get_by_text("MOUTHOUMET - 11 - E.P.PU ROUTE DE SALZA - 0110422Z")).to_be_visible()
    screenshot("libelle")
    assert School.objects.get(uai="0110422Z").printed_name == "Route de Salza"
