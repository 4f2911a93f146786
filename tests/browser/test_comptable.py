"""The accountant's journey: from the login page to titres issued, paid and exported."""

from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conventions import billing
from conventions.models import Convention
from tests.browser.conftest import log_in
from tests.roles import make_user
from tests.titres_helpers import sign

pytestmark = pytest.mark.browser


def open_titres(page):
    page.get_by_role("link", name="Titres de perception").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("titre")


def run_action(page, rows, action):
    for row in rows:
        page.get_by_role("checkbox", name=f"Choisir cet objet pour une action - {row}").check()
    page.get_by_role("combobox", name="Action").select_option(label=action)
    page.get_by_role("button", name="Exécuter").click()


@pytest.fixture
def issued_titre(live_seed_data):
    # Data, not UI: Céret signed by both parties and billed a month ago.
    ceret = sign(Convention.objects.get(commune__insee_code="66049"))
    return billing.issue_titre(ceret, on=timezone.localdate().replace(day=1))


def test_mark_paid_form_is_prefilled_with_today(page, live_server, issued_titre, screenshot):
    log_in(page, live_server, make_user("comptabilite"))
    open_titres(page)

    run_action(page, [issued_titre.number], "Marquer payés…")

    paid_on = page.get_by_label("Date de paiement")
    expect(paid_on).to_have_value(timezone.localdate().isoformat())
    screenshot("marquer-payes")
    page.get_by_role("button", name="Enregistrer le paiement").click()

    expect(page.get_by_text("1 titre marqué payé.")).to_be_visible()
    issued_titre.refresh_from_db()
    assert (issued_titre.paid_on, issued_titre.amount_paid) == (
        timezone.localdate(),
        issued_titre.amount,
    )
    assert issued_titre.paid_on > date(2000, 1, 1)


def column_of(page, row_text, heading):
    # Each heading's label is in .text; a sorted column also shows its sort priority.
    headings = page.locator("#result_list thead th .text").all_inner_texts()
    headings = [text.strip() for text in headings]
    row = page.get_by_role("row").filter(has_text=row_text)
    # The first column links to the titre: a row header (th), the others are cells.
    return row.locator("th, td").nth(headings.index(heading))


def test_the_exercice_is_a_year_not_a_number(page, live_server, issued_titre):
    log_in(page, live_server, make_user("comptabilite"))
    open_titres(page)

    year = str(issued_titre.exercice)
    expect(column_of(page, issued_titre.number, "Exercice")).to_have_text(year)

    page.get_by_role("link", name=issued_titre.number).click()
    expect(page.locator(".form-row", has_text="Exercice").locator(".readonly")).to_have_text(year)
