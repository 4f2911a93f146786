"""Every public page, in each of its states, in the State's design system (DSFR): no axe-core
violation, no horizontal scroll on a 320 px phone, nothing refused by the CSP, and a screenshot
at 320 and 1366 px in test-output/screenshots/dsfr/ (not committed)."""

import re
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from conventions import billing
from conventions.confirmations import send_for_confirmation
from conventions.enums import ConventionStatus
from conventions.models import Convention
from tests.browser.conftest import SCREENSHOT_DIR, VIEWPORT
from tests.portal_helpers import issued_ceret, make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("private_storage")]

PHONE = {"width": 320, "height": 800}
SHOTS = SCREENSHOT_DIR / "dsfr"


@pytest.fixture
def console(page):
    """The console's errors (CSP refusals among them) and the assets that failed to load.

    An error page answers 400 or 404 on purpose: the browser logs that status for the
    document, which is not counted; any stylesheet, font or script that fails is."""
    errors = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type != "document"
            else None
        ),
    )
    return errors


@pytest.fixture
def check(page, console):
    def run(name):
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"{name}-1366.png", full_page=True)
        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: {width} px wide at 320 px"
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        page.screenshot(path=SHOTS / f"{name}-320.png", full_page=True)
        page.set_viewport_size(VIEWPORT)
        refused = [text for text in console if "Content Security Policy" in text]
        assert not refused, refused
        assert not console, console
        console.clear()

    return run


def assert_layout(page):
    expect(page.get_by_role("banner")).to_contain_text("Région")
    expect(page.get_by_role("banner")).to_contain_text("Conventions ENT-École")
    footer = page.get_by_role("contentinfo")
    for name in ("Accessibilité : non conforme", "Mentions légales", "Données personnelles"):
        expect(footer.get_by_role("link", name=name)).to_be_visible()


def test_home_simulator_legal_pages_and_404(page, live_server, live_seed_data, check):
    page.goto(live_server.url + "/")
    assert_layout(page)
    # The first tab stop is the skiplink to the content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Contenu")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    check("accueil")

    page.get_by_role("link", name="Simuler la participation de ma commune").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Simuler la participation d'une commune"
    )
    check("simulateur-vide")

    page.get_by_label("Commune : nom, code INSEE ou code postal").fill("Céret")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator(".fee")).to_contain_text("4 écoles × 41,00 € = 164,00 €")
    check("simulateur-resultat")

    for link, heading in [
        ("Accessibilité : non conforme", "Déclaration d'accessibilité"),
        ("Mentions légales", "Mentions légales"),
        ("Données personnelles", "Données personnelles"),
    ]:
        page.get_by_role("contentinfo").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check(link.split(" ")[0].lower())

    response = page.goto(live_server.url + "/cette-page-n-existe-pas/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    assert_layout(page)
    check("404")


def test_simulator_errors_are_summarised_and_linked(page, live_server, live_seed_data, check):
    # A year that no longer exists, as in an old bookmark.
    page.goto(live_server.url + "/simulateur/?school_year=1990-1991&q=Céret")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Année scolaire").click()
    expect(page.get_by_label("Année scolaire")).to_be_focused()
    expect(page.locator(".fr-select-group--error")).to_be_visible()
    check("simulateur-erreurs")


@pytest.fixture
def ceret_draft_link(live_seed_data, live_server, settings):
    call_command("loaddata", "convention_templates", verbosity=0)
    settings.SITE_URL = live_server.url
    convention = Convention.objects.get(
        commune__insee_code="66049", school_year__label="2026-2027"
    )
    return send_for_confirmation(convention)


def test_confirmation_page_empty_errors_and_confirmed(page, ceret_draft_link, check):
    page.goto(ceret_draft_link)
    assert_layout(page)
    expect(page.locator(".fr-stepper")).to_contain_text("Étape 1 sur 5")
    check("confirmation-vide")

    name = page.get_by_label("Nom du représentant de la collectivité")
    name.fill("")
    page.get_by_role("button", name="Confirmer ces écoles").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Erreur : "))
    group = page.locator(".fr-input-group--error").filter(has_text="Nom du représentant")
    expect(group).to_be_visible()
    check("confirmation-erreurs")
    summary.get_by_role("link", name="Nom du représentant de la collectivité").click()
    expect(name).to_be_focused()

    name.fill("Marie DURAND")
    page.get_by_label("Votre nom").fill("Marie DURAND")
    page.get_by_role("button", name="Confirmer ces écoles").click()
    expect(page.get_by_role("status")).to_contain_text("votre réponse a été enregistrée")
    check("confirmation-confirmee")


@pytest.fixture
def ceret_issued_link(live_seed_data, live_server, settings):
    settings.SITE_URL = live_server.url
    settings.STAFF_NOTIFICATION_EMAILS = ["ent-ecole@rectorat.example"]
    convention, token = issued_ceret()
    mail.outbox.clear()
    return convention, f"{live_server.url}/convention/{token}/"


def test_convention_page_issued_upload_errors_uploaded_invoiced(page, ceret_issued_link, check):
    convention, link = ceret_issued_link
    page.goto(link)
    assert_layout(page)
    expect(page.locator(".fr-stepper")).to_contain_text("Étape 2 sur 5")
    check("convention-emise")

    page.get_by_role("button", name="Déposer la convention signée").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(page.locator(".fr-upload-group--error")).to_be_visible()
    expect(page.locator(".fr-input-group--error")).to_have_count(2)
    check("convention-erreurs")
    summary.get_by_role("link", name="Identifiant @ctes de l'acte").click()
    expect(page.get_by_label("Identifiant @ctes de l'acte")).to_be_focused()

    page.get_by_label("Convention signée (PDF, 10 Mo au plus)").set_input_files(
        files=[{"name": "signee.pdf", "mimeType": "application/pdf", "buffer": make_pdf()}]
    )
    page.get_by_label("Date de l'acte (délibération) qui approuve la convention").fill(
        "2026-06-03"
    )
    page.get_by_label("Identifiant @ctes de l'acte").fill("066-216600494-20260603-DCM1212026-DE")
    page.get_by_role("button", name="Déposer la convention signée").click()
    expect(page.get_by_role("status")).to_contain_text("la convention signée a bien été déposée")
    expect(page.locator(".fr-stepper")).to_contain_text("Étape 3 sur 5")
    check("convention-deposee")

    convention.refresh_from_db()
    convention.transition_to(ConventionStatus.SIGNEE_ACADEMIE)
    billing.issue_titre(convention, on=date(2026, 11, 23))
    page.goto(link)
    expect(page.locator(".fr-stepper")).to_contain_text("Étape 5 sur 5")
    expect(page.get_by_role("heading", name="Titre de perception")).to_be_visible()
    check("convention-facturee")


def test_expired_form_and_too_many_requests_pages(page, ceret_issued_link, check, settings):
    _, link = ceret_issued_link
    page.goto(link)
    # The form stayed open past the session: the browser lost its CSRF cookie.
    page.context.clear_cookies()
    page.get_by_role("button", name="Déposer la convention signée").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le formulaire a expiré")
    assert_layout(page)
    check("403-csrf")

    settings.PORTAL_RATE_LIMIT = 0
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Trop de demandes")
    expect(page.get_by_text("patientez une minute")).to_be_visible()
    check("429")
