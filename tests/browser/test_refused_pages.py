"""What a read-only account meets: no link it may not follow, a French page when refused —
the admin's own page inside the admin."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from conventions.models import Convention, ConventionTemplate
from tests.browser.conftest import log_in
from tests.browser.test_rectorat import open_convention, open_conventions
from tests.roles import COMPTABILITE, make_user
from tests.titres_helpers import sign

pytestmark = pytest.mark.browser


@pytest.fixture
def issued_convention(live_seed_data):
    # Data, not UI: Céret signed, with the template it was issued with, shown as "Modèle utilisé".
    call_command("loaddata", "convention_templates", verbosity=0)
    Convention.objects.filter(commune__insee_code="66049").update(
        issued_template=ConventionTemplate.objects.first()
    )
    return sign(Convention.objects.get(commune__insee_code="66049"))


def test_comptable_convention_page_links_only_where_it_may_go(
    page, live_server, issued_convention, screenshot
):
    log_in(page, live_server, make_user("comptabilite"))
    page.locator("#content-main th[scope=row]").get_by_role(
        "link", name="Conventions", exact=True
    ).click()
    page.get_by_role("link", name="Céret (66049)").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot("convention")

    for label, value in [
        ("Année scolaire", str(issued_convention.school_year)),
        ("Académie", str(issued_convention.academie)),
        ("Modèle utilisé", str(issued_convention.issued_template)),
    ]:
        cell = page.locator(".form-row", has_text=label).first.locator(".readonly")
        expect(cell).to_have_text(value)
        expect(cell.get_by_role("link")).to_have_count(0)
    # Every link left in the convention's fields opens for this account.
    hrefs = page.locator("#content-main fieldset .readonly a").evaluate_all(
        "links => links.map(a => a.href)"
    )
    for href in hrefs:
        assert page.request.get(href).status != 403, href


def test_refused_page_is_french_and_leads_back(page, live_server, live_seed_data, screenshot):
    log_in(page, live_server, make_user("comptabilite"))
    # A link a colleague pasted: the school years are not the accountant's to open.
    page.goto(live_server.url + reverse("admin:conventions_schoolyear_changelist"))
    screenshot("refuse")

    expect(page.locator("html")).to_have_attribute("lang", re.compile("^fr"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
    expect(page.get_by_text("votre compte n'a pas le droit de faire cette action")).to_be_visible()
    expect_admin_layout(page)
    page.get_by_role("link", name="Retour à l'administration").click()
    expect(page.get_by_role("link", name="Conventions").first).to_be_visible()


def expect_admin_layout(page):
    # The admin's header and breadcrumbs, not the public site's (DSFR) header.
    expect(page.locator("#site-name")).to_have_text("ENT-École — conventions")
    expect(page.locator("ol.breadcrumbs li")).to_have_text(["Accueil", "Accès refusé"])
    expect(page.locator(".fr-header")).to_have_count(0)


def expect_admin_refusal(page):
    expect(page).to_have_title("Accès refusé | ENT-École — conventions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
    expect(page.locator("#content-main")).to_contain_text(
        "Votre compte n'a pas le droit de faire cette action : rien n'a été modifié."
    )
    expect_admin_layout(page)


def become_accountant(agent):
    # Data, not UI: while the agent's page is open, an administrator moves him to Comptabilité.
    agent.groups.set([Group.objects.get(name=COMPTABILITE)])


@pytest.fixture
def agent(live_seed_data):
    make_user("comptabilite", username="collegue-comptable")  # the group, as migrated
    return make_user("gestion")


def test_a_button_refused_meanwhile_answers_in_the_admin(page, live_server, agent, screenshot):
    log_in(page, live_server, agent)
    open_convention(page, "Rodez (12202)")
    issue = page.get_by_role("link", name="Émettre…")
    expect(issue).to_be_visible()

    become_accountant(agent)
    issue.click()

    expect_admin_refusal(page)
    screenshot("emettre-refuse")
    page.get_by_role("link", name="Retour à l'administration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gestion des conventions ENT-École")
    assert Convention.objects.get(commune__insee_code="12202").status == "brouillon"


def test_an_action_refused_meanwhile_answers_in_the_admin(page, live_server, agent, screenshot):
    log_in(page, live_server, agent)
    open_conventions(page)
    page.get_by_role("row").filter(has_text="Rodez (12202)").get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option(
        label="Émettre en arrière-plan les brouillons sélectionnés"
    )

    become_accountant(agent)
    page.get_by_role("button", name="Exécuter").click()

    expect_admin_refusal(page)
    screenshot("action-refusee")
    page.locator("ol.breadcrumbs").get_by_role("link", name="Accueil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gestion des conventions ENT-École")


def test_an_admin_form_left_open_too_long_answers_in_the_admin(
    page, live_server, agent, screenshot
):
    log_in(page, live_server, agent)
    open_convention(page, "Rodez (12202)")
    # The form stayed open while the browser lost its CSRF cookie; the session is still on.
    page.context.clear_cookies(name="csrftoken")
    page.get_by_role("button", name="Enregistrer", exact=True).click()

    expect(page).to_have_title("Le formulaire a expiré | ENT-École — conventions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Le formulaire a expiré")
    expect(page.locator("#content-main")).to_contain_text(
        "Votre envoi n'a pas été pris en compte : rien n'a été enregistré."
    )
    expect(page.locator("#site-name")).to_have_text("ENT-École — conventions")
    expect(page.locator("ol.breadcrumbs li")).to_have_text(["Accueil", "Le formulaire a expiré"])
    expect(page.locator(".fr-header")).to_have_count(0)
    screenshot("formulaire-expire")
    page.get_by_role("link", name="Retour à l'administration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gestion des conventions ENT-École")
