"""A Toulouse agent, created with add_agent, chooses his password from the one-time link,
logs in and meets Toulouse only: its conventions in the list, its communes in the
autocomplete."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.roles import ensure_groups, make_user

pytestmark = pytest.mark.browser
PASSWORD = "un-mot-de-passe-solide-42"


def test_a_toulouse_agent_sees_only_toulouse(page, live_server, live_seed_data, screenshot):
    ensure_groups()  # a transactional test starts with the migrations' groups emptied
    out = StringIO()
    call_command(
        "add_agent", "anne.martin@ac-toulouse.fr", "--role", "gestion", "--academie", "16",
        "--name", "Anne MARTIN", stdout=out,
    )  # fmt: skip
    link = re.search(r"http://\S+/admin/mot-de-passe/\S+/", out.getvalue()).group(0)
    page.goto(link.replace("http://127.0.0.1:8000", live_server.url))

    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    screenshot("mot-de-passe")
    page.get_by_role("button", name="Modifier mon mot de passe").click()
    expect(page.get_by_text("Votre mot de passe a été défini")).to_be_visible()
    page.get_by_role("link", name="Connexion").click()

    page.get_by_label("Nom d’utilisateur").fill("anne.martin@ac-toulouse.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.locator("th[scope=row]").get_by_role("link", name="Conventions", exact=True).first.click()
    rows = page.locator("#result_list tbody")
    expect(rows).to_contain_text("Rodez")
    expect(rows).to_contain_text("Castelnau")
    expect(rows).not_to_contain_text("Céret")
    expect(rows).not_to_contain_text("Mouthoumet")
    screenshot("liste")

    page.get_by_role("link", name="Ajouter une convention").click()
    page.locator(".field-commune .select2-selection").click()
    search = page.locator(".select2-container--open").get_by_role("searchbox")
    search.fill("Céret")
    expect(page.locator(".select2-results")).to_contain_text("Aucun résultat trouvé")
    search.fill("Rodez")
    expect(page.get_by_role("option", name=re.compile("Rodez"))).to_be_visible()
    screenshot("autocompletion")


def test_a_superuser_adds_an_agent_from_the_users_page(page, live_server, live_seed_data):
    ensure_groups()  # a transactional test starts with the migrations' groups emptied
    log_in(page, live_server, make_user("superuser"))
    page.get_by_role("link", name="Utilisateurs").first.click()
    page.get_by_role("link", name="Ajouter un agent").click()
    page.get_by_label("Adresse e-mail").fill("paul.durand@ac-montpellier.fr")
    page.get_by_label("Prénom et nom").fill("Paul DURAND")
    page.get_by_label("Rôle").select_option(label="Comptabilité")
    page.get_by_label("Académie").select_option(label="académie de Montpellier")
    page.get_by_role("button", name="Ajouter l'agent").click()
    expect(page.get_by_text("Agent créé")).to_contain_text("académie de Montpellier")
    link = page.get_by_label("Lien pour choisir le mot de passe")
    expect(link).to_have_value(re.compile(r"/admin/mot-de-passe/"))
