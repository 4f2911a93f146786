"""The mairie confirms its schools before the convention is issued (issue 15): the whole loop,
from the rectorat's button to the signed copy, in Chromium."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from conventions.models import Convention, MissingSchoolReport, SchoolConfirmation
from tests.browser.conftest import SCREENSHOT_DIR, VIEWPORT, log_in
from tests.pdf import pdf_text
from tests.portal_helpers import make_pdf
from tests.roles import make_user

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("private_storage")]

LINK_RE = re.compile(r"https?://\S+/convention/[A-Za-z0-9_-]{43}/")
NBSP = "\N{NO-BREAK SPACE}"
DROPPED = "Ecole maternelle Pont du Diable"


def assert_accessible(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def link_from_last_email():
    message = mail.outbox[-1]
    assert message.to == ["ent-ecole@mairie-ceret.example"]
    return LINK_RE.search(message.body).group(0)


@pytest.fixture
def ceret_draft(live_seed_data, live_server, settings):
    # Shipped wording, so that the draft can be issued.
    call_command("loaddata", "convention_templates", verbosity=0)
    settings.SITE_URL = live_server.url
    settings.STAFF_NOTIFICATION_EMAILS = ["ent-ecole@rectorat.example"]
    convention = Convention.objects.select_related("academie").get(
        commune__insee_code="66049", school_year__label="2026-2027"
    )
    academie = convention.academie
    academie.contact_address = "Rectorat de Montpellier, 31 rue de l'Université"
    academie.contact_email = "ent-ecole@ac-montpellier.example"
    academie.contact_phone = "04 67 91 47 00"
    academie.save()
    mail.outbox.clear()
    return convention


@pytest.fixture
def mairie(browser):
    context = browser.new_context(accept_downloads=True, locale="fr-FR", viewport=VIEWPORT)
    yield context.new_page()
    context.close()


def open_ceret(page):
    # The model's link, not the app's caption above it, which reads "Conventions" too.
    page.locator("th[scope=row]").get_by_role("link", name="Conventions", exact=True).first.click()
    page.get_by_role("link", name="Céret (66049)").click()


def send_for_confirmation(page, live_server):
    log_in(page, live_server, make_user("gestion"))
    open_ceret(page)
    page.get_by_role("link", name="Envoyer pour confirmation…").click()
    expect(page.get_by_text("ent-ecole@mairie-ceret.example")).to_be_visible()
    page.get_by_role("button", name="Oui, envoyer pour confirmation").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "demande de confirmation envoyée à ent-ecole@mairie-ceret.example"
    )


def test_staff_send_the_mairie_confirms_staff_accept_issue_and_the_mairie_signs(
    page, mairie, live_server, ceret_draft, screenshot, request
):
    convention = ceret_draft
    send_for_confirmation(page, live_server)

    # The mairie opens the e-mailed link: its commune's open schools, the draft's ticked.
    mairie.goto(link_from_last_email())
    expect(mairie.get_by_role("heading", level=1)).to_contain_text("Céret : vos écoles")
    boxes = mairie.get_by_role("checkbox")
    expect(boxes).to_have_count(4)
    for index in range(4):
        expect(boxes.nth(index)).to_be_checked()
    expect(mairie.locator("#montant")).to_have_text(f"4 écoles × 41,00{NBSP}€ = 164,00{NBSP}€")
    expect(mairie.get_by_text("ent-ecole@ac-montpellier.example")).to_be_visible()
    assert_accessible(mairie)

    # It unticks one school: the server's amount follows.
    # DSFR draws the box on the label: the mairie clicks the school's name.
    mairie.locator("label").filter(has_text=DROPPED).click()
    expect(mairie.get_by_label(DROPPED)).not_to_be_checked()
    expect(mairie.locator("#montant")).to_have_text(f"3 écoles × 41,00{NBSP}€ = 123,00{NBSP}€")
    mairie.get_by_label("Nom du représentant de la collectivité").fill("Marie DURAND")

    # Forgetting its own name: the error summary, focused at the top, links to the field.
    mairie.get_by_role("button", name="Confirmer ces écoles").click()
    summary = mairie.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("1 erreur à corriger")
    assert_accessible(mairie)
    screenshot_of(mairie, request, "1-erreur")
    mairie.get_by_role("link", name=re.compile("Votre nom")).click()
    expect(mairie.get_by_label("Votre nom")).to_be_focused()
    # What it had typed is kept.
    expect(mairie.get_by_label(DROPPED)).not_to_be_checked()
    mairie.get_by_label("Votre nom").fill("Anne Martin")
    mairie.get_by_role("button", name="Confirmer ces écoles").click()
    expect(mairie.get_by_role("status")).to_contain_text("votre réponse a été enregistrée")
    assert_accessible(mairie)
    screenshot_of(mairie, request, "2-confirmee")

    # A school it cannot find: staff are told, nothing is created.
    mairie.get_by_label("L'école que vous ne trouvez pas").fill(
        "École du Mas <b>Carbasse</b>, route de Maureillas"
    )
    mairie.get_by_role("button", name="Signaler une école manquante").click()
    expect(mairie.get_by_role("status")).to_contain_text("transmis au service ENT-École")
    expect(mairie.get_by_text("École du Mas <b>Carbasse</b>, route de Maureillas")).to_be_visible()
    assert mail.outbox[-1].to == ["ent-ecole@rectorat.example"]
    assert MissingSchoolReport.objects.count() == 1
    assert_accessible(mairie)

    confirmation = SchoolConfirmation.objects.get()
    assert confirmation.confirmed_by == "Anne Martin"
    assert confirmation.ip_address == "127.0.0.1"

    # Staff see the differences and accept them in one click.
    page.reload()
    differences = page.get_by_role("table", name="Différences avec le brouillon")
    expect(
        differences.get_by_role("row", name=re.compile("école retirée .*PONT DU DIABLE"))
    ).to_be_visible()
    expect(
        differences.get_by_role("row", name="représentant Michel COSTE Marie DURAND")
    ).to_be_visible()
    screenshot("3-differences")
    page.get_by_role("button", name="Accepter les modifications de la mairie").click()
    expect(page.locator(".messagelist")).to_contain_text("réponse de la mairie acceptée (3 écoles")
    expect(page.get_by_text("Le brouillon correspond à la réponse de la mairie.")).to_be_visible()

    # Issue, then send the link to sign.
    page.get_by_role("link", name="Émettre…").click()
    page.get_by_role("button", name="Oui, émettre la convention").click()
    expect(page.locator(".messagelist")).to_contain_text(f"émise (123,00{NBSP}€)")
    page.get_by_role("link", name="Envoyer le lien…").click()
    page.get_by_role("button", name="Oui, envoyer le lien").click()
    expect(page.locator(".messagelist")).to_contain_text("lien envoyé")

    # The mairie downloads the issued convention: the schools and representative it confirmed.
    mairie.goto(link_from_last_email())
    with mairie.expect_download() as download_info:
        mairie.get_by_role("link", name="Télécharger la convention (PDF)").click()
    with open(download_info.value.path(), "rb") as downloaded:
        text = pdf_text(downloaded.read())
    assert "Marie DURAND" in text
    assert "Michel COSTE" not in text
    assert "PONT DU DIABLE" not in text
    for name in ("MARC CHAGALL", "PABLO PICASSO", "JOAN MIRO"):
        assert name in text
    expect(mairie.get_by_text("ent-ecole@ac-montpellier.example")).to_be_visible()

    # And returns the signed copy.
    today = timezone.localdate()
    mairie.get_by_label("Convention signée (PDF, 10 Mo au plus)").set_input_files(
        files=[{"name": "signee.pdf", "mimeType": "application/pdf", "buffer": make_pdf(2)}]
    )
    mairie.get_by_label("Date de l'acte").fill(today.isoformat())
    mairie.get_by_label("Identifiant @ctes de l'acte").fill(
        f"066-216600494-{today:%Y%m%d}-DCM1212026-DE"
    )
    mairie.get_by_role("button", name="Déposer la convention signée").click()
    expect(mairie.get_by_role("status")).to_contain_text("la convention signée a bien été déposée")
    assert_accessible(mairie)
    convention.refresh_from_db()
    assert convention.status == "signee_collectivite"
    assert convention.issued_school_count == 3


def screenshot_of(page, request, step):
    # The `screenshot` fixture photographs the staff's page; the mairie's has its own.
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT_DIR / f"{request.node.name}-{step}.png", full_page=True)


def test_the_confirmation_with_the_keyboard_only(page, mairie, live_server, ceret_draft):
    send_for_confirmation(page, live_server)
    mairie.goto(link_from_last_email())
    dropped = mairie.get_by_label(DROPPED)
    name = mairie.get_by_label("Votre nom")

    def tab_to(locator, limit=40):
        for _ in range(limit):
            mairie.keyboard.press("Tab")
            if locator.evaluate("element => element === document.activeElement"):
                return
        raise AssertionError("not reachable with Tab")

    tab_to(dropped)
    mairie.keyboard.press("Space")
    expect(dropped).not_to_be_checked()
    expect(mairie.locator("#montant")).to_have_text(f"3 écoles × 41,00{NBSP}€ = 123,00{NBSP}€")
    tab_to(name)
    mairie.keyboard.type("Anne Martin")
    mairie.keyboard.press("Enter")
    expect(mairie.get_by_role("status")).to_contain_text("votre réponse a été enregistrée")
    assert SchoolConfirmation.objects.get().schools.count() == 3
