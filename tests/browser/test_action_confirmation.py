"""Irreversible bulk actions ask first: what will happen, to which rows, "Oui, je confirme"
or "Non, revenir" — and "Non, revenir" changes nothing."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conventions.enums import ConventionStatus, TitreStatus
from conventions.models import IssuingBatch
from tests import permissions_helpers as h
from tests.browser.conftest import log_in
from tests.roles import make_user

pytestmark = pytest.mark.browser


def open_list(page, name):
    page.get_by_role("link", name="ENT-École — conventions").click()
    page.locator("#content-main th[scope=row]").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def choose(page, row_text, action):
    page.get_by_role("row").filter(has_text=row_text).get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option(label=action)
    page.get_by_role("button", name="Exécuter").click()


def test_issuing_titres_asks_first(page, live_server, live_seed_data, screenshot):
    titre = h.prepared_titre()
    log_in(page, live_server, make_user("comptabilite"))
    open_list(page, "Titres de perception")

    choose(page, titre.debtor_name, "Émettre les titres sélectionnés")
    expect(page.get_by_role("heading", level=1)).to_have_text("Émettre des titres de perception")
    content = page.locator("#content-main")
    expect(content).to_contain_text("Vous allez émettre 1 titre de perception")
    expect(content.get_by_role("listitem")).to_have_text(
        [f"titre à émettre ({titre.debtor_name}) – {titre.debtor_name} – 450,00\xa0€ (à émettre)"]
    )
    screenshot("confirmation")
    page.get_by_role("link", name="Non, revenir").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Titres de perception")
    titre.refresh_from_db()
    assert (titre.status, titre.number) == (TitreStatus.A_EMETTRE, None)

    choose(page, titre.debtor_name, "Émettre les titres sélectionnés")
    page.get_by_role("button", name="Oui, je confirme").click()
    expect(page.get_by_text("1 titre émis.")).to_be_visible()
    titre.refresh_from_db()
    assert titre.status == TitreStatus.EMIS


def test_issuing_titres_from_the_conventions_list_asks_first(page, live_server, live_seed_data):
    rodez = h.signed_rodez()
    log_in(page, live_server, make_user("comptabilite"))
    open_list(page, "Conventions")

    choose(page, "Rodez (12202)", "Émettre les titres de perception (conventions signées)")
    expect(page.locator("#content-main")).to_contain_text(
        "Vous allez émettre le titre de perception de 1 convention signée par les deux parties"
    )
    page.get_by_role("link", name="Non, revenir").click()
    assert not rodez.titres.exists()

    choose(page, "Rodez (12202)", "Émettre les titres de perception (conventions signées)")
    page.get_by_role("button", name="Oui, je confirme").click()
    expect(page.get_by_text("1 titre émis.")).to_be_visible()
    rodez.refresh_from_db()
    assert rodez.status == ConventionStatus.FACTUREE


def test_issuing_in_the_background_asks_first(page, live_server, live_seed_data):
    h.with_templates()
    ceret = h.ceret()
    log_in(page, live_server, make_user("gestion"))
    open_list(page, "Conventions")

    action = "Émettre en arrière-plan les brouillons sélectionnés"
    choose(page, "Céret (66049)", action)
    expect(page.get_by_role("heading", level=1)).to_have_text("Émettre en arrière-plan")
    expect(page.locator("#content-main")).to_contain_text(
        "Vous allez émettre en arrière-plan 1 brouillon :"
    )
    expect(page.locator("#content-main").get_by_role("listitem")).to_have_text([str(ceret)])
    page.get_by_role("link", name="Non, revenir").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conventions")
    assert not IssuingBatch.objects.exists()

    choose(page, "Céret (66049)", action)
    page.get_by_role("button", name="Oui, je confirme").click()
    expect(page.locator(".messagelist")).to_contain_text("1 brouillon à émettre en arrière-plan")
    assert IssuingBatch.objects.get().convention_ids == [ceret.pk]


def test_sending_links_asks_first(page, live_server, live_seed_data):
    ceret = h.issued_ceret()
    emails = ", ".join(ceret.collectivite.email_list())
    log_in(page, live_server, make_user("gestion"))
    open_list(page, "Conventions")

    choose(page, "Céret (66049)", "Envoyer le lien")
    expect(page.get_by_role("heading", level=1)).to_have_text("Envoyer le lien")
    content = page.locator("#content-main")
    expect(content).to_contain_text("le lien envoyé précédemment cesse de fonctionner")
    expect(content.get_by_role("listitem")).to_have_text(
        [re.compile(rf"^{re.escape(ceret.reference)} – .* → {re.escape(emails)}$")]
    )
    page.get_by_role("link", name="Non, revenir").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conventions")
    ceret.refresh_from_db()
    assert (mail.outbox, ceret.access_token_hash) == ([], None)

    choose(page, "Céret (66049)", "Envoyer le lien")
    page.get_by_role("button", name="Oui, je confirme").click()
    expect(page.locator(".messagelist")).to_contain_text(f"lien envoyé à {emails}")
    assert len(mail.outbox) == 1


def test_no_confirmation_when_nothing_would_be_issued(page, live_server, live_seed_data):
    log_in(page, live_server, make_user("comptabilite"))
    open_list(page, "Conventions")

    choose(page, "Mouthoumet (11260)", "Émettre les titres de perception (conventions signées)")
    expect(page.get_by_text("Aucun titre émis")).to_be_visible()
