"""Staff send the link, the mairie opens it from the e-mail (a real SMTP server), staff see
the read receipt; the reminders go out and the convention shows in "à relancer par
téléphone"."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from conventions.models import Convention, ReminderEmail
from tests.browser.conftest import VIEWPORT, log_in
from tests.portal_helpers import issued_ceret
from tests.roles import make_user

pytestmark = pytest.mark.browser

LINK_RE = re.compile(r"http://\S+/convention/[A-Za-z0-9_-]{43}/")


def open_conventions(page):
    # The model's link on the admin index, not the app's caption, which reads the same.
    page.locator("th[scope=row]").get_by_role("link", name="Conventions", exact=True).first.click()


def open_convention(page, name):
    open_conventions(page)
    page.locator("#result_list").get_by_role("link", name=name).click()


def link_field(page):
    return page.locator("fieldset").filter(
        has=page.get_by_role("heading", name="Lien privé de la collectivité")
    )


def test_read_receipt_reminders_and_phone_filter(
    page, browser, live_server, live_seed_data, smtp_server, settings, screenshot
):
    settings.SITE_URL = live_server.url
    convention, _ = issued_ceret()
    log_in(page, live_server, make_user("gestion"))

    # Staff send the link from the convention page.
    open_convention(page, "Céret")
    page.get_by_role("link", name="Envoyer le lien…").click()
    page.get_by_role("button", name="Oui, envoyer le lien").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "lien envoyé à ent-ecole@mairie-ceret.example"
    )
    expect(link_field(page)).to_contain_text("jamais ouverte")

    # The mairie opens the link of the e-mail it received, in its own browser.
    (message,) = smtp_server.messages
    assert message["To"] == "ent-ecole@mairie-ceret.example"
    (link,) = LINK_RE.findall(message.get_content())
    mairie = browser.new_context(locale="fr-FR", viewport=VIEWPORT).new_page()
    mairie.goto(link)
    expect(mairie.get_by_role("heading", level=1)).to_contain_text("Céret")
    mairie.context.close()

    page.reload()
    expect(link_field(page)).to_contain_text(
        re.compile(r"ouverte le \d+(er)? \S+ 20\d\d à \d\d:\d\d")
    )
    expect(link_field(page)).to_contain_text("PDF jamais téléchargé")
    screenshot("ouverte")

    # Thirty days later the mairie still has not signed: the daily command reminds it, once
    # a day, 15 then 30 days after the sending.
    Convention.objects.filter(pk=convention.pk).update(
        link_sent_at=timezone.now() - datetime.timedelta(days=31)
    )
    smtp_server.clear()
    call_command("send_reminders", verbosity=0)
    call_command("send_reminders", verbosity=0)  # the same day: nothing more
    (reminder,) = smtp_server.messages
    assert reminder["To"] == "ent-ecole@mairie-ceret.example"
    assert reminder["Subject"] == "Relance : convention ENT-École 2026-2027 – Céret à signer"
    # The next day, the second (and last) reminder.
    yesterday = timezone.now() - datetime.timedelta(days=1)
    ReminderEmail.objects.update(sent_at=yesterday, day=timezone.localdate(yesterday))
    call_command("send_reminders", verbosity=0)
    assert len(smtp_server.messages) == 2

    page.reload()
    expect(link_field(page)).to_contain_text("Relance n° 1 envoyée le", use_inner_text=True)
    expect(link_field(page)).to_contain_text("Relance n° 2 envoyée le", use_inner_text=True)
    expect(link_field(page)).to_contain_text("à ent-ecole@mairie-ceret.example")
    expect(link_field(page)).to_contain_text("à relancer par téléphone")
    screenshot("relancee")

    # In the list, the filter finds it, and only it.
    page.get_by_role("link", name="Accueil").first.click()
    open_conventions(page)
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(Convention.objects.count())
    page.locator("#changelist-filter").get_by_role("link", name="à relancer par téléphone").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Céret")
    expect(rows.first.locator(".field-follow_up")).to_contain_text("à relancer par téléphone")
    expect(rows.first.locator(".field-follow_up")).to_contain_text("2 relances")
    screenshot("filtre-telephone")

    page.locator("#changelist-filter").get_by_role("link", name="jamais ouverte").click()
    expect(page.locator("#result_list")).to_have_count(0)
