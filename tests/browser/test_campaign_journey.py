"""The whole yearly campaign as staff run it, in Chromium (issue 13, "Done when"): prepare
2027-2028 from 2026-2027, issue the drafts in the background, send the links, the mairie
opens its link (the read receipt shows), a reminder goes out for another convention, and the
dashboard's figures match what was done."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from communes.models import Departement
from conventions.models import Convention, SchoolYear
from tests.browser.conftest import VIEWPORT, log_in
from tests.browser.test_campaign_reminders import LINK_RE, link_field
from tests.browser.test_campaign_renewal import open_school_year
from tests.browser.test_dashboard import cell
from tests.browser.test_rectorat_batch import open_conventions, run_worker_while_the_page_waits
from tests.factories import CollectiviteFactory, CommuneFactory, ConventionFactory, enroll
from tests.roles import make_user

pytestmark = pytest.mark.browser

AMELIE = "Amélie-les-Bains-Palalda"
AMELIE_EMAIL = "mairie@amelie-les-bains.example"


@pytest.fixture
def last_year(live_seed_data):
    """The demo's Céret draft of 2026-2027 (4 schools) and Amélie's (2 schools)."""
    call_command("loaddata", "convention_templates", verbosity=0)
    commune = CommuneFactory(
        name=AMELIE, departement=Departement.objects.get(code="066"), postal_code="66110"
    )
    convention = ConventionFactory(
        commune=commune,
        collectivite=CollectiviteFactory(
            city=AMELIE.upper(), postal_code="66110", emails=AMELIE_EMAIL
        ),
        school_year=SchoolYear.objects.get(label="2026-2027"),
    )
    enroll(convention, 2)


def test_staff_run_the_campaign_from_renewal_to_dashboard(
    page, browser, live_server, last_year, smtp_server, settings, monkeypatch, screenshot
):
    settings.SITE_URL = live_server.url
    log_in(page, live_server, make_user("gestion"))

    # 1. Prepare 2027-2028 in spring, before its rentrée, whenever the suite runs.
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2027, 5, 1)
    )
    open_school_year(page, "2026-2027")
    page.get_by_role("link", name="Préparer la campagne 2027-2028…").click()
    page.get_by_role("button", name="Copier depuis 2026-2027 ce qui manque").click()
    expect(page.locator(".errornote")).to_have_text(
        "Il manque : le tarif 2027-2028 de l'académie de Montpellier."
    )
    page.get_by_role(
        "link", name="Ajouter le tarif 2027-2028 de l'académie de Montpellier"
    ).click()
    page.get_by_label(re.compile(r"^tarif par école", re.IGNORECASE)).fill("43.00")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("ajouté")

    open_school_year(page, "2026-2027")
    page.get_by_role("link", name="Préparer la campagne 2027-2028…").click()
    preview = page.locator("#content-main")
    expect(preview).to_contain_text("Céret (66049)")
    expect(preview).to_contain_text("172,00\xa0€")  # 4 schools × 43 €
    screenshot("apercu")
    page.get_by_role("button", name=re.compile("^Créer les 2 conventions en brouillon")).click()
    expect(page.locator(".entconv-renewal-done")).to_contain_text(
        "Campagne 2027-2028 préparée : 2 conventions créées en brouillon, 6 écoles inscrites."
    )
    screenshot("rapport")
    monkeypatch.undo()
    ceret = Convention.objects.get(school_year__label="2027-2028", commune__name="Céret")
    assert ceret.schools.count() == 4 and ceret.fee.rate == 43

    # 2. The report's link opens the new year's conventions: the two drafts, dated the day
    # the campaign was prepared (issuing refuses an undated draft).
    page.get_by_role("link", name="Voir les conventions 2027-2028").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    assert not Convention.objects.filter(school_year__label="2027-2028", document_date=None)

    # 3. Issue the new drafts in the background and follow the progress.
    page.locator("#changelist-filter").get_by_role("link", name="2027-2028").click()
    page.locator("#changelist-filter").get_by_role("link", name="brouillon").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_role("checkbox", name=re.compile("Sélectionner tous les objets")).check()
    page.get_by_role("combobox", name="Action").select_option(
        label="Émettre en arrière-plan les brouillons sélectionnés"
    )
    page.get_by_role("button", name="Exécuter").click()
    page.get_by_role("button", name="Oui, je confirme").click()
    messages = page.locator(".messagelist")
    expect(messages).to_contain_text("2 brouillons à émettre en arrière-plan")
    messages.get_by_role("link", name="Émissions en arrière-plan").click()
    state = page.get_by_role("status")
    expect(state).to_contain_text("en attente")
    run_worker_while_the_page_waits(page)
    expect(state).to_contain_text("Émission terminée : 2 conventions émises sur 2", timeout=15000)
    screenshot("emission-terminee")

    # 4. Send both links from the list.
    open_conventions(page)
    filters = page.locator("#changelist-filter")
    filters.get_by_role("link", name="2027-2028").click()
    filters.get_by_role("link", name="émise", exact=True).click()
    expect(rows).to_have_count(2)
    page.get_by_role("checkbox", name=re.compile("Sélectionner tous les objets")).check()
    page.get_by_role("combobox", name="Action").select_option(label="Envoyer le lien")
    page.get_by_role("button", name="Exécuter").click()
    page.get_by_role("button", name="Oui, je confirme").click()
    expect(messages).to_contain_text("lien envoyé à ent-ecole@mairie-ceret.example")
    expect(messages).to_contain_text(f"lien envoyé à {AMELIE_EMAIL}")
    screenshot("liens-envoyes")

    # 5. Céret's mairie opens the link of its e-mail, in its own browser.
    by_recipient = {message["To"]: message for message in smtp_server.messages}
    assert set(by_recipient) == {"ent-ecole@mairie-ceret.example", AMELIE_EMAIL}
    (link,) = LINK_RE.findall(by_recipient["ent-ecole@mairie-ceret.example"].get_content())
    mairie = browser.new_context(locale="fr-FR", viewport=VIEWPORT).new_page()
    mairie.goto(link)
    expect(mairie.get_by_role("heading", level=1)).to_contain_text("Céret")
    mairie.context.close()

    page.get_by_role("link", name="Accueil").first.click()
    open_conventions(page)
    page.locator("#changelist-filter").get_by_role("link", name="2027-2028").click()
    page.locator("#result_list").get_by_role("link", name="Céret").click()
    expect(link_field(page)).to_contain_text(
        re.compile(r"ouverte le \d+(er)? \S+ 20\d\d à \d\d:\d\d")
    )
    screenshot("ceret-ouverte")

    # 6. Amélie's link was never opened. Sixteen days pass (no browser can wait that long:
    # the sending date is moved back in the database) and the daily command reminds it.
    amelie = Convention.objects.get(school_year__label="2027-2028", commune__name=AMELIE)
    Convention.objects.filter(pk=amelie.pk).update(
        link_sent_at=timezone.now() - datetime.timedelta(days=16)
    )
    smtp_server.clear()
    call_command("send_reminders", verbosity=0)
    (reminder,) = smtp_server.messages
    assert reminder["To"] == AMELIE_EMAIL
    assert reminder["Subject"] == f"Relance : convention ENT-École 2027-2028 – {AMELIE} à signer"

    page.get_by_role("link", name="Accueil").first.click()
    open_conventions(page)
    page.locator("#changelist-filter").get_by_role("link", name="2027-2028").click()
    page.locator("#result_list").get_by_role("link", name=AMELIE).click()
    expect(link_field(page)).to_contain_text("jamais ouverte")
    expect(link_field(page)).to_contain_text("Relance n° 1 envoyée le", use_inner_text=True)
    expect(link_field(page)).to_contain_text(f"à {AMELIE_EMAIL}")
    screenshot("amelie-relancee")

    # 7. The dashboard of 2027-2028 shows what was done.
    page.get_by_role("link", name="Accueil").first.click()
    page.get_by_role("link", name="Tableau de bord de la campagne").click()
    page.get_by_label("Année scolaire").select_option("2027-2028")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tableau de bord de la campagne 2027-2028"
    )
    by_status = "Conventions par statut"
    expect(cell(page, by_status, "Total", "brouillon")).to_have_text("0")
    expect(cell(page, by_status, "Total", "émise")).to_have_text("0")
    expect(cell(page, by_status, "Total", "envoyée")).to_have_text("2")
    expect(cell(page, by_status, "66 – Pyrénées-Orientales", "envoyée")).to_have_text("2")
    expect(cell(page, by_status, "Total", "total hors annulées")).to_have_text("2")
    money = "Écoles et montants"
    expect(cell(page, money, "Total", "écoles inscrites")).to_have_text("6")
    # (4 + 2) schools × 43 €.
    expect(cell(page, money, "Total", "attendu (conventions émises)")).to_have_text("258,00\xa0€")
    screenshot("tableau-de-bord-2027-2028")
