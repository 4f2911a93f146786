""" "Signaler une erreur" from the mairie's convention page, read and handled by staff in the
admin (issue 15)."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import expect

from conventions.models import ErrorReport
from tests.browser.conftest import VIEWPORT, log_in
from tests.roles import make_user

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("private_storage")]

LINK_RE = re.compile(r"https?://\S+/convention/[A-Za-z0-9_-]{43}/")
MESSAGE = "Le SIRET de la commune est faux <script>alert('x')</script>"


def assert_accessible(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_the_mairie_reports_an_error_and_staff_mark_it_handled(
    page, browser, live_server, ceret_sent, screenshot
):
    convention = ceret_sent
    page.goto(LINK_RE.search(mail.outbox[-1].body).group(0))
    mail.outbox.clear()
    page.get_by_role("link", name="Signaler une erreur").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Signaler une erreur : convention 2026-2027 – Céret"
    )

    # Sent empty: the summary comes first, focused, each entry a link to its field.
    page.get_by_role("button", name="Envoyer le signalement").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Votre signalement n'a pas été envoyé : 2 erreurs à corriger")
    assert_accessible(page)
    summary.get_by_role("link", name=re.compile("L'erreur que vous avez constatée")).click()
    expect(page.get_by_label("L'erreur que vous avez constatée")).to_be_focused()

    page.get_by_label("Votre nom").fill("Anne Martin")
    page.get_by_label("Votre adresse e-mail (facultatif)").fill("anne.martin@mairie-ceret.example")
    page.get_by_label("L'erreur que vous avez constatée").fill(MESSAGE)
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Merci : votre signalement a bien été transmis au service ENT-École de l'académie "
        "de Montpellier."
    )
    screenshot("1-signalement-envoye")
    assert_accessible(page)
    assert [message.to for message in mail.outbox] == [["ent-ecole@rectorat.example"]]
    assert MESSAGE in mail.outbox[0].body
    page.get_by_role("link", name="Retour à la convention").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Céret")

    # Staff of Montpellier read it in the admin and mark it handled.
    context = browser.new_context(locale="fr-FR", viewport=VIEWPORT)
    staff_page = context.new_page()
    staff = make_user("gestion", academie="11")
    log_in(staff_page, live_server, staff)
    staff_page.get_by_role("link", name="Erreurs signalées").first.click()
    row = staff_page.get_by_role("row").filter(has_text="Anne Martin")
    expect(row).to_have_count(1)
    # Shown as typed, never run.
    expect(row).to_contain_text("<script>alert('x')</script>")
    expect(row).to_contain_text(str(convention))
    row.get_by_role("checkbox").check()
    staff_page.get_by_role("combobox", name="Action").select_option(label="Marquer comme traitées")
    staff_page.get_by_role("button", name="Exécuter").click()
    expect(staff_page.locator(".messagelist")).to_contain_text(
        "1 erreur signalée marquée comme traitée."
    )
    report = ErrorReport.objects.get()
    assert report.handled and report.handled_by == staff
    staff_page.get_by_role("link", name="Oui", exact=True).click()
    expect(staff_page.get_by_role("row").filter(has_text="Anne Martin")).to_have_count(1)
    context.close()
