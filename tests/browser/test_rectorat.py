"""The rectorat agent's journey, in Chromium, from the login page: a new collectivité, its
convention with its schools, preview, issue, link sent, every status, cancel and replace."""

import datetime
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from communes.models import Collectivite, Commune, Departement
from conventions.models import Convention
from schools.models import School
from tests.browser.conftest import log_in
from tests.factories import valid_uai
from tests.portal_helpers import issued_ceret
from tests.roles import make_user

pytestmark = pytest.mark.browser

PERPIGNAN_SCHOOLS = [
    ("Ecole maternelle publique Les Platanes", "maternelle", "public"),
    ("Ecole élémentaire publique Jean Jaurès", "elementaire", "public"),
    ("Ecole primaire publique Les Oliviers", "primaire", "public"),
    ("Ecole élémentaire publique Pasteur", "elementaire", "public"),
    ("Ecole primaire privée Sainte-Thérèse", "primaire", "prive"),
]


@pytest.fixture
def perpignan(live_seed_data):
    # Shipped wording, so that the new convention can be previewed and issued.
    call_command("loaddata", "convention_templates", verbosity=0)
    commune = Commune.objects.create(
        insee_code="66136",
        name="Perpignan",
        postal_code="66000",
        departement=Departement.objects.get(code="066"),
        search_name="perpignan",
    )
    for number, (name, kind, sector) in enumerate(PERPIGNAN_SCHOOLS):
        School.objects.create(
            uai=valid_uai(6601360 + number), name=name, kind=kind, sector=sector, commune=commune
        )
    return commune


def open_convention(page, name):
    page.get_by_role("link", name="Conventions", exact=True).first.click()
    page.get_by_role("link", name=name).click()


def pick(page, row, search, option):
    """Choose in an autocomplete (select2) field: open it, type, click the suggestion."""
    row.locator(".select2-selection").click()
    page.locator(".select2-container--open").get_by_role("searchbox").fill(search)
    page.get_by_role("option", name=option).click()


def accept_dialogs(page):
    """Accept every confirmation the page asks for; returns their texts."""
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return asked


def status_of(page):
    return page.locator(".field-status .readonly")


def test_status_buttons_advance_the_convention(page, live_server, live_seed_data, screenshot):
    issued_ceret()
    log_in(page, live_server, make_user("gestion"))
    open_convention(page, "Céret (66049)")
    expect(status_of(page)).to_have_text("émise")

    asked = accept_dialogs(page)
    for button, status in [
        ("Marquer comme envoyée", "envoyée"),
        ("Marquer signée par la collectivité", "signée par la collectivité"),
        ("Marquer signée par l'académie", "signée par l'académie"),
    ]:
        page.get_by_role("button", name=button).click()
        expect(page.get_by_text(f"statut « {status} »")).to_be_visible()
        expect(status_of(page)).to_have_text(status)
    screenshot("signee-academie")
    assert len(asked) == 3
    assert "au statut « signée par l'académie » ? Ce passage ne se défait pas." in asked[-1]
    convention = Convention.objects.get(commune__insee_code="66049", status="signee_academie")
    assert convention.sent_at and convention.signed_by_collectivite_at
    assert convention.signed_by_academie_at


def test_new_convention_with_its_schools_in_one_save(
    page, live_server, perpignan, screenshot
):
    collectivite = Collectivite.objects.create(
        name="COMMUNE DE PERPIGNAN",
        siret="21660136900012",
        address="PLACE DE LA LOGE",
        postal_code="66000",
        city="PERPIGNAN",
        representative_name="Louis ALIOT",
        representative_title="MAIRE",
        emails="ent-ecole@mairie-perpignan.example",
    )
    collectivite.communes.set([perpignan])
    log_in(page, live_server, make_user("gestion"))
    page.get_by_role("link", name="Conventions", exact=True).first.click()
    page.get_by_role("link", name="Ajouter convention").click()
    screenshot("formulaire-vide")
    fill_convention(page, "PERPIGNAN", "Perpignan (66136)", schools=PERPIGNAN_SCHOOLS[:4])
    page.get_by_role("button", name="Enregistrer", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("ajouté avec succès")
    convention = Convention.objects.get(commune=perpignan)
    assert convention.enrollments.count() == 4
    assert {e.school_year_id for e in convention.enrollments.all()} == {
        convention.school_year_id
    }


def fill_convention(page, collectivite, commune, schools):
    form = page.locator("#convention_form")
    pick(page, form.locator(".field-collectivite"), collectivite, collectivite_label(collectivite))
    pick(page, form.locator(".field-commune"), commune.split(" ")[0], commune)
    page.get_by_label("Année scolaire").select_option("2026-2027")
    if page.get_by_label("Académie").input_value() == "":
        page.get_by_label("Académie").select_option(label="académie de Montpellier")
    add_row = page.locator("#enrollments-group .add-row a")
    for number, (name, _kind, _sector) in enumerate(schools):
        add_row.click()
        row = page.locator(f"#enrollments-{number}")
        pick(page, row, name.split()[-1], re.compile(re.escape(name)))


def collectivite_label(search):
    return f"COMMUNE DE {search}"
