"""A titre of 123 € paid 100 €: the accountant records it, and the titres list, the campaign
dashboard and the mairie's page all say "partiellement payé" with 23,00 € still due."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conventions import billing
from conventions.models import Convention
from tests.browser.conftest import log_in
from tests.browser.test_comptable import column_of, open_titres, run_action
from tests.browser.test_dashboard import cell
from tests.portal_helpers import issued_ceret
from tests.roles import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def titre_of_123(live_seed_data):
    # Data, not UI: Céret with three of its four schools (3 × 41 €), issued, signed by both
    # parties and billed.
    Convention.objects.get(commune__insee_code="66049").enrollments.order_by("pk").last().delete()
    convention, token = issued_ceret()
    convention.transition_to("signee_collectivite")
    convention.transition_to("signee_academie")
    titre = billing.issue_titre(convention, on=timezone.localdate().replace(day=1))
    assert titre.amount == 123
    return titre, token


def test_a_partial_payment_leaves_23_euros_due_everywhere(
    page, live_server, titre_of_123, screenshot
):
    titre, token = titre_of_123
    log_in(page, live_server, make_user("comptabilite"))
    open_titres(page)
    run_action(page, [titre.number], "Marquer payés…")
    page.get_by_label("Montant payé (€)").fill("100")
    page.get_by_role("button", name="Enregistrer le paiement").click()

    expect(page.get_by_text("1 titre partiellement payé.")).to_be_visible()
    expect(column_of(page, titre.number, "Statut")).to_have_text("partiellement payé")
    expect(column_of(page, titre.number, "Montant payé")).to_have_text(
        "100,00\u202f€ (reste dû 23,00\u202f€)"
    )
    screenshot("liste-des-titres")

    page.get_by_role("link", name="Accueil").first.click()
    page.get_by_role("link", name="Tableau de bord de la campagne").click()
    expect(cell(page, "Écoles et montants", "Total", "payé")).to_have_text("100,00\u202f€")
    expect(cell(page, "Écoles et montants", "Total", "reste dû")).to_have_text("23,00\u202f€")
    screenshot("tableau-de-bord")

    # The mairie's own page, from the link it was sent.
    page.goto(f"{live_server.url}/convention/{token}/")
    titre_card = page.get_by_role("region", name="Titre de perception")
    expect(titre_card).to_contain_text("partiellement payé")
    expect(titre_card).to_contain_text("Reste dû")
    expect(titre_card).to_contain_text("23,00\u202f€")
    screenshot("portail")
