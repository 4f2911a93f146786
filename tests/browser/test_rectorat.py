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
    return create_perpignan()


def create_perpignan():
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


def open_conventions(page):
    # The model's link, not the app's caption above it, which reads "Conventions" too.
    page.locator("th[scope=row]").get_by_role("link", name="Conventions", exact=True).first.click()


def open_convention(page, name):
    open_conventions(page)
    page.get_by_role("link", name=name).click()


def pick(page, row, search, option):
    """Choose in an autocomplete (select2) field: open it, type, click the suggestion."""
    row.locator(".select2-selection").click()
    page.locator(".select2-container--open").get_by_role("searchbox").fill(search)
    page.get_by_role("option", name=option).click()


def field(page, label):
    """The input labelled exactly so ("Adresse :", not "Adresses e-mail de contact")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*:$"))


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


def test_new_convention_with_its_schools_in_one_save(page, live_server, perpignan, screenshot):
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
    open_conventions(page)
    page.get_by_role("link", name="Ajouter une convention").click()
    screenshot("formulaire-vide")
    fill_convention(page, "PERPIGNAN", "Perpignan (66136)", schools=PERPIGNAN_SCHOOLS[:4])
    page.get_by_role("button", name="Enregistrer", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("ajouté avec succès")
    convention = Convention.objects.get(commune=perpignan)
    assert convention.enrollments.count() == 4
    assert {e.school_year_id for e in convention.enrollments.all()} == {convention.school_year_id}


def fill_convention(page, collectivite, commune, schools):
    form = page.locator("#convention_form")
    pick(page, form.locator(".field-collectivite"), collectivite, collectivite_label(collectivite))
    pick(page, form.locator(".field-commune"), commune.split(" ")[0], commune)
    page.get_by_label("Année scolaire").select_option("2026-2027")
    # No académie to choose: the commune determines it.
    add_row = page.locator("#enrollments-group .add-row a")
    for number, (name, _kind, _sector) in enumerate(schools):
        add_row.click()
        row = page.locator(f"#enrollments-{number}")
        pick(page, row, name.split()[-1], re.compile(re.escape(name)))


def collectivite_label(search):
    return f"COMMUNE DE {search}"


def test_rectorat_journey(page, live_server, perpignan, mailoutbox, screenshot):
    log_in(page, live_server, make_user("gestion"))
    asked = accept_dialogs(page)

    # A new collectivité; its SIRET typed with spaces, as it is printed.
    page.get_by_role("link", name="Collectivités", exact=True).first.click()
    page.get_by_role("link", name="Ajouter une collectivité").click()
    page.get_by_label("Nom officiel").fill("COMMUNE DE PERPIGNAN")
    page.get_by_label("SIRET").fill("216 601 369 00011")  # a wrong key, as typed by mistake
    field(page, "Adresse").fill("PLACE DE LA LOGE")
    page.get_by_label("Code postal").fill("66000")
    page.get_by_label("Ville").fill("PERPIGNAN")
    pick(page, page.locator(".field-communes"), "perpignan", "Perpignan (66136)")
    field(page, "Représentant").fill("Louis ALIOT")
    page.get_by_label("Qualité du représentant").fill("MAIRE")
    page.get_by_label("Adresses e-mail de contact").fill("ent-ecole@mairie-perpignan.example")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".field-siret .errorlist")).to_contain_text(
        "la clé de contrôle (Luhn) ne correspond pas"
    )
    page.get_by_label("SIRET").fill("216 601 369 00012")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("ajouté avec succès")
    assert Collectivite.objects.get(name="COMMUNE DE PERPIGNAN").siret == "21660136900012"

    # Its convention: only what can be filled, dated today, the schools after the parties.
    open_conventions(page)
    page.get_by_role("link", name="Ajouter une convention").click()
    today = datetime.date.today().strftime("%d/%m/%Y")
    expect(page.get_by_label("Date de la convention")).to_have_value(today)
    for later in ["Document émis", "Suivi", "Lien privé de la collectivité"]:
        expect(page.get_by_role("heading", name=later)).to_have_count(0)
    schools_top = page.locator("#enrollments-group").bounding_box()["y"]
    fee_top = page.get_by_role("heading", name="Participation financière").bounding_box()["y"]
    assert schools_top < fee_top
    fill_convention(page, "PERPIGNAN", "Perpignan (66136)", schools=PERPIGNAN_SCHOOLS[:3])
    # The académie followed the commune; the fee is computed before saving.
    expect(page.get_by_label("Académie")).to_have_value(str(perpignan.departement.academie_id))
    expect(page.locator("#entconv-fee")).to_have_text("3 écoles × 41,00 € = 123,00 €")
    screenshot("nouvelle-convention")
    page.get_by_role("button", name="Enregistrer et continuer les modifications").click()
    expect(page.locator(".messagelist")).to_contain_text("ajouté avec succès")
    convention = Convention.objects.get(commune=perpignan)
    assert convention.enrollments.count() == 3

    # The commune's other open schools: the public one ticked, the private one to tick.
    page.get_by_role("link", name="Ajouter toutes les écoles ouvertes de la commune").click()
    expect(page.get_by_role("checkbox", name=re.compile("E.E.PU PASTEUR"))).to_be_checked()
    private = page.get_by_role("checkbox", name=re.compile("SAINTE-THERESE"))
    expect(private).not_to_be_checked()
    screenshot("ecoles-ouvertes")
    page.get_by_role("button", name="Ajouter les écoles cochées").click()
    expect(page.locator(".messagelist")).to_contain_text("1 école ajoutée")
    expect(page.locator("#entconv-fee")).to_have_text("4 écoles × 41,00 € = 164,00 €")
    assert convention.enrollments.count() == 4

    # Preview: the draft PDF.
    with page.context.expect_event(
        "response", lambda response: "/preview/" in response.url
    ) as preview:
        page.get_by_role("link", name="Prévisualiser").click()
    assert preview.value.headers["content-type"] == "application/pdf"

    # Issue, with its confirmation page.
    page.get_by_role("link", name="Émettre…").click()
    page.get_by_role("button", name="Oui, émettre la convention").click()
    expect(page.locator(".messagelist")).to_contain_text("émise (164,00 €)")
    expect(page.get_by_role("heading", name="Document émis")).to_be_visible()

    # The link, sent from the convention page.
    page.get_by_role("link", name="Envoyer le lien…").click()
    expect(page.get_by_text("ent-ecole@mairie-perpignan.example")).to_be_visible()
    screenshot("envoyer-le-lien")
    page.get_by_role("button", name="Oui, envoyer le lien").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "lien envoyé à ent-ecole@mairie-perpignan.example"
    )
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ent-ecole@mairie-perpignan.example"]
    expect(status_of(page)).to_have_text("envoyée")

    # Every status, by its button.
    for button, status in [
        ("Marquer signée par la collectivité", "signée par la collectivité"),
        ("Marquer signée par l'académie", "signée par l'académie"),
    ]:
        page.get_by_role("button", name=button).click()
        expect(status_of(page)).to_have_text(status)
    assert len(asked) == 2
    screenshot("signee-par-l-academie")
    convention.refresh_from_db()
    assert convention.status == "signee_academie"


def test_cancel_and_replace_from_the_convention_page(
    page, live_server, live_seed_data, screenshot
):
    convention, _token = issued_ceret()
    log_in(page, live_server, make_user("gestion"))
    open_convention(page, "Céret (66049)")
    page.get_by_role("link", name="Annuler et remplacer…").click()
    page.get_by_label("Motif de l'annulation").fill("Une école manquait.")
    page.get_by_role("button", name="Oui, annuler et remplacer").click()

    expect(page.locator(".messagelist")).to_contain_text(
        f"Convention {convention.reference} annulée"
    )
    expect(page.locator(".field-reference .readonly")).to_have_text("ENT-2026-2027-11-66049-02")
    screenshot("remplacement")
    convention.refresh_from_db()
    assert (convention.status, convention.cancel_reason) == ("annulee", "Une école manquait.")
    replacement = convention.replaced_by
    assert replacement.status == "brouillon"
    assert replacement.enrollments.count() == 4
