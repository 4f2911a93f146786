"""The titre de perception's own page, as the accountant reads it."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conventions import billing
from conventions.models import Convention
from tests.browser.conftest import log_in
from tests.roles import make_user
from tests.titres_helpers import sign

pytestmark = pytest.mark.browser


def readonly(page, label):
    return page.locator(".form-row", has=page.locator("label", has_text=label)).locator(
        ".readonly"
    )


def open_titre(page, link_text):
    page.get_by_role("link", name="Titres de perception").first.click()
    page.get_by_role("link", name=link_text).click()


def test_a_prepared_titre_shows_no_none_and_amounts_in_euros(page, live_server, live_seed_data):
    # Data, not UI: Céret signed by both parties, its titre prepared but not issued yet.
    titre = billing.prepare_titre(sign(Convention.objects.get(commune__insee_code="66049")))
    log_in(page, live_server, make_user("comptabilite"))

    open_titre(page, "à attribuer")

    expect(page.locator("#content")).not_to_contain_text("None")
    expect(readonly(page, "Exercice")).to_have_text("fixé à l'émission")
    expect(readonly(page, "Tarif unitaire")).to_have_text("41,00\xa0€")
    expect(readonly(page, "Montant TTC")).to_have_text("164,00\xa0€")
    assert titre.amount == 164


def test_an_issued_and_paid_titre_shows_its_year_and_euros(page, live_server, live_seed_data):
    ceret = sign(Convention.objects.get(commune__insee_code="66049"))
    titre = billing.issue_titre(ceret, on=timezone.localdate())
    billing.mark_paid(titre, paid_on=timezone.localdate(), amount=titre.amount - 4)
    log_in(page, live_server, make_user("comptabilite"))

    open_titre(page, titre.number)

    expect(readonly(page, "Exercice")).to_have_text(str(timezone.localdate().year))
    expect(readonly(page, "Montant TTC")).to_have_text("164,00\xa0€")
    # Paid short: what is still due, as in the list.
    expect(readonly(page, "Montant payé")).to_have_text("160,00\xa0€ (reste dû 4,00\xa0€)")
