import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from conventions.models import ConventionTemplate
from tests.browser.conftest import log_in
from tests.roles import make_user

pytestmark = pytest.mark.browser


def test_a_text_that_attaches_a_server_file_is_refused_on_save(
    page, live_server, live_seed_data, screenshot
):
    call_command("loaddata", "convention_templates", verbosity=0)
    template = ConventionTemplate.objects.get(school_year__label="2026-2027")
    before = template.body
    log_in(page, live_server, make_user("superuser"))

    page.get_by_role("link", name="Modèles de convention").first.click()
    page.get_by_role("link", name=template.name).click()
    body = page.get_by_label("Texte")
    body.fill(before + '\n<p><a rel="attachment" href="file:///etc/passwd">annexe</a></p>')
    page.get_by_role("button", name="Enregistrer", exact=True).click()

    error = page.locator(".errorlist").filter(has_text="file:///etc/passwd")
    error.wait_for()
    assert "n'est pas permis" in error.inner_text()
    screenshot("refuse")
    template.refresh_from_db()
    assert template.body == before


def test_duplicate_for_next_year_from_the_template_page(
    page, live_server, live_seed_data, screenshot
):
    call_command("loaddata", "convention_templates", verbosity=0)
    template = ConventionTemplate.objects.get(school_year__label="2026-2027")
    console_errors = []

    def keep_error(message):
        # The browser asks for /favicon.ico on its own; the site has none.
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            console_errors.append(message.text)

    page.on("console", keep_error)
    log_in(page, live_server, make_user("superuser"))

    page.get_by_role("link", name="Modèles de convention").first.click()
    page.get_by_role("link", name=template.name).click()
    page.get_by_role("button", name="Dupliquer pour l'année suivante").click()

    expect(page.locator(".messagelist")).to_contain_text("Modèle copié pour 2027-2028")
    copy = ConventionTemplate.objects.get(school_year__label="2027-2028")
    expect(page.get_by_label("Nom")).to_have_value(copy.name)
    expect(page.get_by_label("Année scolaire")).to_have_value(str(copy.school_year_id))
    assert copy.body == template.body
    screenshot("modele-2027-2028")
    # No inline style or script that the Content-Security-Policy would block.
    assert console_errors == []
