import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOT_DIR, VIEWPORT
from tests.portal_helpers import issued_ceret, make_pdf
from tests.roles import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("private_storage")]


def client_behind_the_proxy(browser, address):
    # The front server (here: this machine, trusted) passes each client's address.
    context = browser.new_context(
        locale="fr-FR", viewport=VIEWPORT, extra_http_headers={"X-Real-IP": address}
    )
    return context, context.new_page()


def try_to_log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()


def test_failed_logins_from_one_address_lock_the_account_everywhere(
    browser, live_server, transactional_db, settings
):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    user = make_user("gestion")
    attacker, attacker_page = client_behind_the_proxy(browser, "203.0.113.7")
    agent, agent_page = client_behind_the_proxy(browser, "198.51.100.20")
    try:
        for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES):
            try_to_log_in(attacker_page, live_server, user.username, "mauvais")
            expect(
                attacker_page.get_by_text("Veuillez compléter correctement les champs")
            ).to_be_visible()
        try_to_log_in(attacker_page, live_server, user.username, PASSWORD)
        expect(
            attacker_page.get_by_text("Trop d'échecs de connexion depuis votre")
        ).to_be_visible()

        # From another address, even with the right password, the account waits.
        try_to_log_in(agent_page, live_server, user.username, PASSWORD)
        expect(
            agent_page.get_by_text(
                "Trop d'échecs de connexion pour ce compte : il est bloqué, réessayez dans "
                "15 minutes."
            )
        ).to_be_visible()
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        agent_page.screenshot(path=SCREENSHOT_DIR / "login-account-locked.png", full_page=True)
        # Another account logs in from there at once.
        other = make_user("comptabilite")
        try_to_log_in(agent_page, live_server, other.username, PASSWORD)
        expect(agent_page.get_by_role("button", name="Déconnexion")).to_be_visible()
    finally:
        attacker.close()
        agent.close()


def test_an_oversized_signed_copy_is_refused_with_a_french_page(
    page, live_server, live_seed_data, settings, screenshot
):
    settings.MAX_REQUEST_BODY = 1024 * 1024
    convention, token = issued_ceret()
    page.goto(live_server.url + reverse("conventions:portal", args=[token]))
    big = make_pdf() + b"%" * (2 * 1024 * 1024)
    page.get_by_label("Convention signée (PDF, 10 Mo au plus)").set_input_files(
        files=[{"name": "convention-signee.pdf", "mimeType": "application/pdf", "buffer": big}]
    )
    page.get_by_label("Date de l'acte").fill("2026-06-03")
    page.get_by_label("Identifiant @ctes de l'acte").fill("066-216600494-20260603-DCM1212026-DE")
    page.get_by_role("button", name="Déposer la convention signée").click()

    expect(page.get_by_text("La requête est trop volumineuse : 1 Mo au plus.")).to_be_visible()
    screenshot("trop-volumineuse")
    convention.refresh_from_db()
    assert not convention.signed_pdf
