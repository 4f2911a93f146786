"""The rectorat's bulk work, as a "Gestion des conventions" agent clicks through it: issue the
year's drafts in the background and follow the progress, download the PDFs in one ZIP,
import the schools from the annuaire file."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from communes.models import Departement
from conventions.models import Convention, SchoolYear
from schools.models import School
from tests.browser.conftest import log_in
from tests.factories import CollectiviteFactory, CommuneFactory, ConventionFactory, enroll
from tests.roles import make_user
from tests.seeds import DATA

pytestmark = pytest.mark.browser

ANNUAIRE = DATA / "annuaire-occitanie-extrait-2024-11.csv"
BATCH_PAGES = re.compile(r".*/admin/conventions/issuingbatch/.*")


@pytest.fixture
def drafts(live_seed_data):
    """Céret's 2026-2027 draft (demo) and two more in the Pyrénées-Orientales."""
    call_command("loaddata", "convention_templates", verbosity=0)
    departement = Departement.objects.get(code="066")
    school_year = SchoolYear.objects.get(label="2026-2027")
    for name in ["Amélie-les-Bains-Palalda", "Arles-sur-Tech"]:
        commune = CommuneFactory(name=name, departement=departement, postal_code="66110")
        convention = ConventionFactory(
            commune=commune,
            collectivite=CollectiviteFactory(city=name.upper(), postal_code="66110"),
            school_year=school_year,
        )
        enroll(convention, 2)
    return Convention.objects.filter(school_year=school_year)


def open_conventions(page):
    page.get_by_role("link", name="ENT-École — conventions").click()
    page.locator("#content-main th[scope=row]").get_by_role(
        "link", name="Conventions", exact=True
    ).click()


def run_worker_while_the_page_waits(page):
    """Runs the tasks as `manage.py db_worker` does beside the server, while the browser sits
    on the progress page. The page's next refresh is held until the worker is done: on
    SQLite the live server and the worker share the test database's one connection."""
    held = []

    def hold(route):
        held.append(route)

    page.route(BATCH_PAGES, hold)
    while not held:
        page.wait_for_timeout(100)
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    held[0].continue_()
    page.unroute(BATCH_PAGES)


def test_rectorat_issues_in_the_background_downloads_the_zip_and_imports_schools(
    page, live_server, drafts, screenshot
):
    log_in(page, live_server, make_user("gestion"))
    open_conventions(page)

    # The year's drafts, selected on the list.
    filters = page.locator("#changelist-filter")
    filters.get_by_role("link", name="2026-2027").click()
    filters.get_by_role("link", name="brouillon").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    for checkbox in page.get_by_role("checkbox", name=re.compile("Choisir cet objet")).all():
        checkbox.check()
    page.get_by_role("combobox", name="Action").select_option(
        label="Émettre en arrière-plan les brouillons sélectionnés"
    )
    page.get_by_role("button", name="Exécuter").click()
    page.get_by_role("button", name="Oui, je confirme").click()
    messages = page.locator(".messagelist")
    expect(messages).to_contain_text("3 brouillons à émettre en arrière-plan")

    # Its progress, on a page that follows it by itself.
    messages.get_by_role("link", name="Émissions en arrière-plan").click()
    expect(page.locator("ol.breadcrumbs li").last).to_have_text(
        re.compile(
            r"^Émission 2026-2027, académie de Montpellier, "
            r"du (1er|\d{1,2}) [a-zéû]+ \d{4} à \d\d:\d\d$"
        )
    )
    state = page.get_by_role("status")
    expect(state).to_contain_text("en attente")
    expect(state).to_contain_text("se met à jour toute seule")
    progress = page.get_by_role("progressbar", name="Avancement de l'émission")
    expect(progress).to_have_attribute("value", "0")
    expect(progress).to_have_attribute("max", "3")
    screenshot("emission-en-attente")

    run_worker_while_the_page_waits(page)
    expect(state).to_contain_text("Émission terminée : 3 conventions émises sur 3", timeout=15000)
    expect(progress).to_have_attribute("value", "3")
    expect(state).not_to_contain_text("se met à jour")
    screenshot("emission-terminee")
    assert all(convention.is_issued for convention in drafts)

    # The issued PDFs in one ZIP.
    open_conventions(page)
    filters = page.locator("#changelist-filter")
    filters.get_by_role("link", name="2026-2027").click()
    filters.get_by_role("link", name="émise", exact=True).click()
    expect(rows).to_have_count(3)
    page.get_by_role("checkbox", name=re.compile("Sélectionner tous les objets")).check()
    page.get_by_role("combobox", name="Action").select_option(
        label="Télécharger les PDF émis (ZIP)"
    )
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Exécuter").click()
    download = download_info.value
    assert download.suggested_filename == "conventions-emises.zip"
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        assert sorted(archive.namelist()) == sorted(f"{c.reference}.pdf" for c in drafts)
        for name in archive.namelist():
            assert archive.read(name).startswith(b"%PDF-")

    # The schools of the annuaire: file, preview, confirmation, report.
    schools_before = School.objects.count()
    page.get_by_role("link", name="ENT-École — conventions").click()
    page.locator("#content-main th[scope=row]").get_by_role(
        "link", name="Écoles", exact=True
    ).click()
    page.locator(".object-tools").get_by_role("link", name="Importer").click()
    expect(page.locator("ol.breadcrumbs li")).to_have_text(
        ["Accueil", "Écoles", "Écoles", "Importer les écoles de l'annuaire de l'éducation"]
    )
    page.get_by_label("Fichier à importer").set_input_files(ANNUAIRE)
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_role("heading", name="Aperçu")).to_be_visible()
    expect(page.get_by_text("Simulation : rien n'a été enregistré.")).to_be_visible()
    screenshot("import-apercu")
    assert School.objects.count() == schools_before
    page.get_by_role("button", name="Confirmer l'import").click()
    report = page.locator(".messagelist")
    expect(report).to_contain_text(f"Import du fichier « {ANNUAIRE.name} » terminé")
    created = int(re.search(r"(\d+) écoles? créées?", report.inner_text()).group(1))
    assert created > 0
    assert School.objects.count() == schools_before + created
    screenshot("import-rapport")
