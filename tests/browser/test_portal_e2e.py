import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from tests.portal_helpers import issued_ceret, make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("private_storage")]

IDENTIFIER = "066-216600494-20260603-DCM1212026-DE"


def assert_accessible(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture
def ceret(live_seed_data):
    return issued_ceret()


def test_mairie_checks_downloads_and_returns_the_signed_convention(
    page, live_server, ceret, django_user_model, tmp_path
):
    convention, token = ceret
    page.goto(live_server.url + reverse("conventions:portal", args=[token]))

    expect(page.get_by_role("heading", level=1)).to_contain_text("Céret")
    schools = page.get_by_role("table").get_by_role("row")
    expect(schools).to_have_count(5)  # header + 4 schools
    expect(page.locator(".fee")).to_have_text("4 écoles × 41,00 € = 164,00 €")
    expect(page.get_by_text("cent soixante-quatre euros")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger la convention (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == "convention-ent-ecole-2026-2027-ceret.pdf"
    assert Path(download.path()).read_bytes() == convention.pdf.open("rb").read()
    convention.pdf.close()

    signed = make_pdf(pages=2)
    page.get_by_label("Convention signée (PDF, 10 Mo au plus)").set_input_files(
        files=[{"name": "convention-signee.pdf", "mimeType": "application/pdf", "buffer": signed}]
    )
    page.get_by_label("Date de l'acte").fill("2026-06-03")
    page.get_by_label("Identifiant @ctes de l'acte").fill(IDENTIFIER)
    page.get_by_role("button", name="Déposer la convention signée").click()

    expect(page.get_by_role("status")).to_contain_text("la convention signée a bien été déposée")
    expect(page.locator(".status")).to_have_text("signée par la collectivité")
    assert_accessible(page)

    convention.refresh_from_db()
    assert convention.act_identifier == IDENTIFIER
    with convention.signed_pdf.open("rb") as stored:
        assert stored.read() == signed

    # Staff see it in the admin and download the same file.
    django_user_model.objects.create_superuser("agent", "agent@example.com", "motdepasse-long-42")
    page.goto(
        live_server.url + reverse("admin:conventions_convention_change", args=[convention.pk])
    )
    page.get_by_label("Nom d’utilisateur").fill("agent")
    page.get_by_label("Mot de passe").fill("motdepasse-long-42")
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_text(IDENTIFIER, exact=True)).to_be_visible()
    expect(
        page.locator(".readonly").get_by_text("signée par la collectivité", exact=True)
    ).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger la convention signée (PDF)").click()
    assert Path(download_info.value.path()).read_bytes() == signed


def test_refused_uploads_show_a_french_message_and_store_nothing(
    page, live_server, ceret, private_storage
):
    convention, token = ceret
    url = live_server.url + reverse("conventions:portal", args=[token])
    before = sorted(Path(private_storage.location).rglob("*"))
    cases = [
        ("png-renomme.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, IDENTIFIER, "n'est pas un PDF"),
        (
            "gros.pdf",
            b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024),
            IDENTIFIER,
            "pèse 11,0 Mo : la limite est de 10 Mo",
        ),
        (
            "autre-siren.pdf",
            make_pdf(),
            "066-213101181-20260603-DCM1212026-DE",
            "n'est pas celui de la collectivité (216600494)",
        ),
    ]
    for name, content, identifier, message in cases:
        page.goto(url)
        page.get_by_label("Convention signée (PDF, 10 Mo au plus)").set_input_files(
            files=[{"name": name, "mimeType": "application/pdf", "buffer": content}]
        )
        page.get_by_label("Date de l'acte").fill("2026-06-03")
        page.get_by_label("Identifiant @ctes de l'acte").fill(identifier)
        page.get_by_role("button", name="Déposer la convention signée").click()
        expect(page.locator(".error")).to_contain_text(message)
        assert_accessible(page)
    convention.refresh_from_db()
    assert convention.status == "emise"
    assert not convention.signed_pdf
    assert sorted(Path(private_storage.location).rglob("*")) == before


def test_unknown_pages_give_the_standard_404(page, live_server, live_seed_data):
    other = page.goto(live_server.url + "/nimporte-quoi/")
    assert other.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    assert_accessible(page)


def test_public_pages_are_accessible_and_the_simulator_works(page, live_server, live_seed_data):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "La convention de partenariat ENT-École"
    )
    assert_accessible(page)

    page.get_by_role("link", name="Simulateur de participation").first.click()
    assert_accessible(page)
    page.get_by_label("Année scolaire").select_option("2026-2027")
    page.get_by_label("Commune : nom, code INSEE ou code postal").fill("ceret")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator(".fee")).to_contain_text("4 écoles × 41,00 € = 164,00 €")
    assert_accessible(page)

    page.get_by_label("Commune : nom, code INSEE ou code postal").fill("zzz")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_text(re.compile("Aucune commune ne correspond"))).to_be_visible()
    assert_accessible(page)

    # Small screens: nothing wider than the viewport.
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/simulateur/?school_year=2026-2027&q=ceret")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
