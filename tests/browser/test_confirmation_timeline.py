"""The convention's Chronologie tells the mairie's confirmation: sent, answered, accepted,
each with who did it."""

import pytest
from playwright.sync_api import expect

from conventions import confirmations
from conventions.models import Convention
from tests.browser.conftest import log_in
from tests.roles import make_user

pytestmark = pytest.mark.browser


def open_ceret(page):
    page.locator("th[scope=row]").get_by_role("link", name="Conventions", exact=True).first.click()
    page.get_by_role("link", name="Céret (66049)").click()


def test_the_timeline_tells_the_confirmation(page, live_server, live_seed_data):
    log_in(page, live_server, make_user("gestion"))
    open_ceret(page)
    page.get_by_role("link", name="Envoyer pour confirmation…").click()
    page.get_by_role("button", name="Oui, envoyer pour confirmation").click()
    expect(page.locator(".messagelist")).to_contain_text("demande de confirmation envoyée")

    # The mairie's answer, as the portal records it: a new representative.
    ceret = Convention.objects.get(commune__insee_code="66049", school_year__label="2026-2027")
    confirmations.record_confirmation(
        ceret,
        school_ids=list(ceret.schools.values_list("pk", flat=True)),
        representative_name="Jeanne Martin",
        representative_title="Maire",
        emails=ceret.collectivite.emails,
        confirmed_by="Jeanne Martin",
        ip_address="192.0.2.10",
        seen_confirmation_id=None,
    )
    page.reload()
    page.get_by_role("button", name="Accepter les modifications de la mairie").click()

    timeline = page.locator(".convention-timeline li")
    expect(timeline.filter(has_text="demande de confirmation envoyée")).to_contain_text(
        "(par agent-gestion)"
    )
    expect(timeline.filter(has_text="écoles confirmées par la mairie")).to_contain_text(
        "(par Jeanne Martin)"
    )
    expect(timeline.filter(has_text="réponse de la mairie acceptée")).to_contain_text(
        "(par agent-gestion)"
    )
