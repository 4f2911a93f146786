"""The mairie's journey, from the e-mail that brings its private link (issue 11)."""

import io
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from communes.models import Commune
from conventions.access_links import send_access_link
from conventions.issuing import cancel_and_replace
from schools.models import School
from tests.portal_helpers import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("private_storage")]

IDENTIFIER = "066-216600494-20260603-DCM1212026-DE"
SIGNED_LABEL = "Convention signée (PDF, 10 Mo au plus)"
LINK_RE = re.compile(r"https?://\S+/convention/[A-Za-z0-9_-]{43}/")


def assert_accessible(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def link_from_last_email(address="ent-ecole@mairie-ceret.example"):
    message = mail.outbox[-1]
    assert message.to == [address]
    return LINK_RE.search(message.body).group(0)


def fill_upload(page, *, name, content, act_date="2026-06-03", identifier=IDENTIFIER):
    page.get_by_label(SIGNED_LABEL).set_input_files(
        files=[{"name": name, "mimeType": "application/pdf", "buffer": content}]
    )
    page.get_by_label("Date de l'acte").fill(act_date)
    page.get_by_label("Identifiant @ctes de l'acte").fill(identifier)


def test_mairie_opens_the_emailed_link_checks_downloads_and_returns_the_signed_copy(
    page, ceret_sent, screenshot
):
    convention = ceret_sent
    page.goto(link_from_last_email())

    expect(page.get_by_role("heading", level=1)).to_contain_text("Céret")
    schools = page.get_by_role("table").get_by_role("row")
    expect(schools).to_have_count(5)  # header + 4 schools
    expect(page.get_by_role("cell", name="0660560A")).to_be_visible()
    expect(page.locator(".fee")).to_have_text("4 écoles × 41,00 € = 164,00 €")
    screenshot("1-convention")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger la convention (PDF)").click()
    assert download_info.value.suggested_filename == "convention-ent-ecole-2026-2027-ceret.pdf"
    with convention.pdf.open("rb") as issued:
        assert Path(download_info.value.path()).read_bytes() == issued.read()

    # A wrong file: the error is the first thing on screen, focused, with a link to the field.
    fill_upload(page, name="scan.pdf", content=png_bytes())
    page.get_by_role("button", name="Déposer la convention signée").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Le dépôt n'a pas abouti : 1 erreur à corriger")
    box = summary.bounding_box()
    assert box["y"] + box["height"] <= page.viewport_size["height"]
    assert page.evaluate("window.scrollY") < 300
    screenshot("2-erreur-en-haut")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Convention signée .* n'est pas un PDF")).click()
    expect(page.get_by_label(SIGNED_LABEL)).to_be_focused()

    signed = make_pdf(pages=2)
    fill_upload(page, name="convention-signee.pdf", content=signed)
    page.get_by_role("button", name="Déposer la convention signée").click()
    expect(page.get_by_role("status")).to_contain_text("la convention signée a bien été déposée")
    expect(page.get_by_role("status")).to_contain_text("Le service ENT-École en est averti.")
    expect(page.locator(".status")).to_have_text("signée par la collectivité")
    screenshot("3-deposee")
    assert_accessible(page)
    convention.refresh_from_db()
    assert convention.act_identifier == IDENTIFIER
    assert mail.outbox[-1].to == ["ent-ecole@rectorat.example"]

    # What it sent, to download.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger l'exemplaire signé déposé (PDF)").click()
    assert Path(download_info.value.path()).read_bytes() == signed


def test_mairie_replaces_its_copy_until_the_academie_signs(page, ceret_sent, screenshot):
    convention = ceret_sent
    url = link_from_last_email()
    page.goto(url)
    fill_upload(page, name="premiere.pdf", content=make_pdf(pages=1))
    page.get_by_role("button", name="Déposer la convention signée").click()
    expect(page.get_by_role("status")).to_be_visible()

    corrected = make_pdf(pages=3)
    fill_upload(
        page,
        name="corrigee.pdf",
        content=corrected,
        act_date="2026-06-04",
        identifier="066-216600494-20260604-DCM1212027-DE",
    )
    page.get_by_role("button", name="Remplacer la convention signée").click()
    expect(page.get_by_role("status")).to_contain_text("bien été déposée")
    expect(page.get_by_text("066-216600494-20260604-DCM1212027-DE")).to_be_visible()
    screenshot("remplacee")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger l'exemplaire signé déposé (PDF)").click()
    assert Path(download_info.value.path()).read_bytes() == corrected

    convention.refresh_from_db()
    convention.transition_to("signee_academie")
    page.reload()
    expect(page.get_by_text("cet exemplaire ne peut plus être remplacé")).to_be_visible()
    expect(page.get_by_role("button", name="Remplacer la convention signée")).to_have_count(0)
    expect(
        page.get_by_role("link", name="Télécharger l'exemplaire signé déposé (PDF)")
    ).to_be_visible()


def test_without_staff_address_the_page_does_not_promise_staff_were_told(
    page, ceret_sent, settings
):
    settings.STAFF_NOTIFICATION_EMAILS = []
    page.goto(link_from_last_email())
    fill_upload(page, name="signee.pdf", content=make_pdf())
    page.get_by_role("button", name="Déposer la convention signée").click()
    expect(page.get_by_role("status")).to_contain_text("bien été déposée")
    expect(page.get_by_role("status")).not_to_contain_text("averti")


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_an_older_link_says_to_ask_for_a_new_one(page, ceret_sent, settings, screenshot, debug):
    settings.DEBUG = debug
    settings.PORTAL_CONTACT_EMAIL = "ent-ecole@ac-montpellier.example"
    old = link_from_last_email()
    send_access_link(ceret_sent)
    assert link_from_last_email() != old

    response = page.goto(old)
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce lien n'est plus valable")
    expect(page.get_by_text("demandez un nouveau lien")).to_be_visible()
    expect(page.get_by_role("link", name="ent-ecole@ac-montpellier.example")).to_have_attribute(
        "href", "mailto:ent-ecole@ac-montpellier.example"
    )
    screenshot("lien-expire")
    assert_accessible(page)


def test_a_cancelled_convention_says_so_and_offers_no_document(page, ceret_sent, screenshot):
    url = link_from_last_email()
    page.goto(url)
    expect(page.get_by_role("link", name="Télécharger la convention (PDF)")).to_be_visible()

    cancel_and_replace(ceret_sent, "Erreur interne : tarif saisi par M. Dupont")
    page.reload()
    expect(page.get_by_text("Cette convention a été annulée le")).to_be_visible()
    expect(page.get_by_text("Une nouvelle convention vous sera envoyée")).to_be_visible()
    expect(page.get_by_text("Dupont")).to_have_count(0)
    expect(page.get_by_role("link", name="Télécharger la convention (PDF)")).to_have_count(0)
    expect(page.get_by_role("button", name="Déposer la convention signée")).to_have_count(0)
    screenshot("annulee")
    assert_accessible(page)


def test_the_simulator_counts_what_the_convention_counts(
    page, live_server, live_seed_data, screenshot
):
    School.objects.create(
        uai="0661234X",
        name="Auto Ecole (Ecole primaire privée)",
        kind="primaire",
        sector="prive",
        commune=Commune.objects.get(insee_code="66049"),
    )
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Simulateur de participation").first.click()
    page.get_by_label("Année scolaire").select_option("2026-2027")
    page.get_by_label("Commune : nom, code INSEE ou code postal").fill("ceret")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator(".fee")).to_contain_text("4 écoles × 41,00 € = 164,00 €")
    expect(
        page.get_by_role(
            "heading", name=re.compile("École privée de la commune \\(1\\) : non comptée")
        )
    ).to_be_visible()
    expect(page.get_by_role("cell", name="Auto Ecole (Ecole primaire privée)")).to_be_visible()
    expect(page.get_by_text("Pour la compter, cochez")).to_be_visible()
    screenshot("1-publiques")
    assert_accessible(page)

    # DSFR draws the box on the label: the visitor clicks its text.
    page.locator("label").filter(has_text="Compter aussi les écoles privées").click()
    expect(page.get_by_label("Compter aussi les écoles privées de la commune")).to_be_checked()
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator(".fee")).to_contain_text("5 écoles × 41,00 € = 205,00 €")
    expect(page.get_by_role("heading", name=re.compile("\\(1\\) : comptée"))).to_be_visible()
    screenshot("2-avec-privees")


def test_the_upload_with_the_keyboard_only(page, ceret_sent, screenshot):
    convention = ceret_sent
    page.goto(link_from_last_email())

    def focused(locator):
        return locator.evaluate("element => element === document.activeElement")

    def tab_to(locator, key="Tab", limit=60):
        for _ in range(limit):
            page.keyboard.press(key)
            if focused(locator):
                # Whoever uses the keyboard sees where they are.
                outline = locator.evaluate(
                    "element => getComputedStyle(element).outlineStyle + ' '"
                    " + getComputedStyle(element).outlineWidth"
                )
                assert not outline.startswith("none"), outline
                assert outline.split()[1] != "0px", outline
                return
        raise AssertionError(f"not reachable with {key}")

    download_link = page.get_by_role("link", name="Télécharger la convention (PDF)")
    file_input = page.get_by_label(SIGNED_LABEL)
    submit = page.get_by_role("button", name="Déposer la convention signée")

    tab_to(download_link)
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    with convention.pdf.open("rb") as issued:
        assert Path(download_info.value.path()).read_bytes() == issued.read()

    # Submitted empty: the error summary takes the focus, its links lead to the fields.
    tab_to(submit)
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("3 erreurs à corriger")
    screenshot("1-erreurs")
    summary_link = summary.get_by_role("link", name=re.compile("^Convention signée"))
    tab_to(summary_link)
    page.keyboard.press("Enter")
    expect(file_input).to_be_focused()

    # Back and forth: Shift+Tab leaves the field, Tab comes back to it.
    page.keyboard.press("Shift+Tab")
    assert not focused(file_input)
    tab_to(file_input)
    with page.expect_file_chooser() as chooser_info:
        page.keyboard.press("Space")
    signed = make_pdf(pages=2)
    identifier = "066-216600494-20260606-DCM1212026-DE"
    chooser_info.value.set_files(
        files=[{"name": "signee.pdf", "mimeType": "application/pdf", "buffer": signed}]
    )
    # The 6th of June: the same keys whether the browser's date field reads dd/mm or mm/dd.
    tab_to(page.get_by_label("Date de l'acte"))
    page.keyboard.type("06062026")
    tab_to(page.get_by_label("Identifiant @ctes de l'acte"))
    page.keyboard.type(identifier)
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("la convention signée a bien été déposée")
    screenshot("2-deposee")
    convention.refresh_from_db()
    assert convention.act_identifier == identifier
    assert convention.act_date.isoformat() == "2026-06-06"
    with convention.signed_pdf.open("rb") as stored:
        assert stored.read() == signed


def test_the_demo_convention_page_gives_its_academie_contact(page, ceret_sent):
    page.goto(link_from_last_email())
    contact = page.get_by_role(
        "region", name="Contact : service ENT-École de l'académie de Montpellier"
    )
    expect(contact).to_contain_text("31 rue de l'Université")
    expect(contact).to_contain_text("34064 Montpellier Cedex 2")
    expect(contact.get_by_role("link", name="ent-ecole@ac-montpellier.fr")).to_have_attribute(
        "href", "mailto:ent-ecole@ac-montpellier.fr"
    )
    expect(contact.get_by_role("link", name="04 67 91 47 00")).to_have_attribute(
        "href", "tel:0467914700"
    )
