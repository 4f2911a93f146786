"""A rectorat agent changes a convention and its schools, then reads its history: the
"Historique" page (old → new, schools removed) and the timeline on the convention page."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import complete_convention
from tests.roles import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def draft(transactional_db):
    return complete_convention(school_count=2, document_date=datetime.date(2026, 5, 21))


def test_staff_see_old_and_new_values_in_the_history_and_the_timeline(
    page, live_server, draft, screenshot
):
    agent = make_user("gestion")
    removed = draft.schools.order_by("name").first()
    log_in(page, live_server, agent)

    page.locator("th[scope=row]").get_by_role("link", name="Conventions", exact=True).first.click()
    page.get_by_role("link", name=draft.commune.name).click()
    page.get_by_label("Date de la convention").fill("02/06/2026")
    row = page.locator("tr.form-row", has_text=removed.uai)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("a été modifié avec succès")

    page.locator(".messagelist").get_by_role("link").click()
    timeline = page.locator(".convention-timeline")
    expect(timeline).to_contain_text("convention créée")
    expect(timeline).to_contain_text(f"école retirée — {removed.name} ({removed.uai})")
    expect(timeline).to_contain_text("date de la convention : 21/05/2026 → 02/06/2026")
    expect(timeline).to_contain_text("(par agent-gestion)")
    screenshot("chronologie")

    page.get_by_role("link", name="Historique").click()
    changes = page.locator("#change-history")
    expect(changes).to_contain_text("Date de la convention : 21/05/2026 → 02/06/2026")
    expect(changes).to_contain_text("agent-gestion")
    schools = page.locator("#enrollment-history")
    expect(schools).to_contain_text("école retirée")
    expect(schools).to_contain_text(f"{removed.name} ({removed.uai})")
    screenshot("historique")


def test_a_toulouse_agent_finds_his_change_under_his_name(page, live_server, live_seed_data):
    from conventions.models import Convention

    agent = make_user("gestion", username="anne.martin@ac-toulouse.fr", academie="16")
    castelnau = Convention.objects.get(commune__insee_code="31118")
    removed = castelnau.schools.order_by("name").first()
    log_in(page, live_server, agent)

    page.locator("th[scope=row]").get_by_role("link", name="Conventions", exact=True).first.click()
    expect(page.locator("#result_list tbody")).not_to_contain_text("Céret")
    page.get_by_role("link", name=re.compile("Castelnau")).first.click()
    expect(page.get_by_label("Date de la convention")).to_have_value("27/10/2022")
    page.get_by_label("Date de la convention").fill("15/11/2022")
    page.locator("tr.form-row", has_text=removed.uai).get_by_role("checkbox").check()
    page.get_by_role("button", name="Enregistrer et continuer les modifications").click()
    expect(page.locator(".messagelist")).to_contain_text("a été modifié avec succès")

    page.get_by_role("link", name="Historique").click()
    changes = page.locator("#change-history")
    latest = changes.locator("tbody tr").first
    expect(latest).to_contain_text("anne.martin@ac-toulouse.fr")
    expect(latest).to_contain_text("Date de la convention : 27/10/2022 → 15/11/2022")
    schools = page.locator("#enrollment-history")
    expect(schools).to_contain_text("école retirée")
    removal = schools.locator("tr", has_text=removed.uai).filter(has_text="école retirée")
    expect(removal).to_contain_text("anne.martin@ac-toulouse.fr")
