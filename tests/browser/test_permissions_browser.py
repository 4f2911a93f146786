"""What each role is offered on screen: the accountant sees no convention action nor status
button; the rectorat's staff may delete a draft (its files go with it), never an issued
convention."""

import pytest
from django.core.files.base import ContentFile

from conventions.models import Convention
from tests.browser.conftest import log_in
from tests.portal_helpers import make_pdf, mark_issued
from tests.roles import make_user

pytestmark = pytest.mark.browser

CONVENTION_ACTIONS = [
    "Émettre en arrière-plan les brouillons sélectionnés",
    "Télécharger les PDF émis (ZIP)",
    "Envoyer le lien",
    "Générer un nouveau lien (sans l'envoyer)",
    "Révoquer le lien",
    "Supprimer les brouillons sélectionnés",
]
CONVENTION_BUTTONS = [
    "Émettre…",
    "Marquer comme envoyée",
    "Marquer signée par la collectivité",
    "Marquer signée par l'académie",
    "Annuler la convention…",
    "Annuler et remplacer…",
    "Envoyer le lien",
    "Supprimer",
]


def open_conventions(page):
    page.get_by_role("link", name="Conventions", exact=True).last.click()
    page.get_by_role("heading", name="Sélectionnez l’objet convention à changer").or_(
        page.get_by_label("Action")
    ).first.wait_for()


def test_the_accountant_is_offered_no_convention_action(
    page, live_server, live_seed_data, screenshot
):
    mark_issued(Convention.objects.get(commune__insee_code="66049"))
    log_in(page, live_server, make_user("comptabilite"))

    open_conventions(page)
    screenshot("liste")
    offered = page.get_by_label("Action").locator("option").all_inner_texts()
    assert "Préparer les titres de perception, à vérifier avant émission" in offered
    assert not set(CONVENTION_ACTIONS) & set(offered)

    for commune in ["Céret (66049)", "Rodez (12202)"]:  # issued, then a draft
        page.get_by_role("link", name=commune, exact=True).click()
        page.get_by_text("Participation financière").wait_for()
        screenshot(commune)
        for name in CONVENTION_BUTTONS:
            assert page.get_by_role("button", name=name, exact=True).count() == 0, name
            assert page.get_by_role("link", name=name, exact=True).count() == 0, name
        page.go_back()


def test_staff_delete_a_draft_with_its_files_never_an_issued_convention(
    page, live_server, live_seed_data, screenshot, private_storage
):
    mark_issued(Convention.objects.get(commune__insee_code="66049"))
    draft = Convention.objects.get(commune__insee_code="12202")
    # A draft may hold files, e.g. from an issuing that failed after writing them.
    draft.pdf.save("brouillon.pdf", ContentFile(make_pdf()))
    files = [draft.pdf.name]
    log_in(page, live_server, make_user("gestion"))

    open_conventions(page)
    page.get_by_role("link", name="Céret (66049)", exact=True).click()
    page.get_by_text("Participation financière").wait_for()
    screenshot("emise")
    # Django's delete link is a role="button" link.
    assert page.get_by_role("button", name="Supprimer", exact=True).count() == 0
    assert page.get_by_role("link", name="Supprimer", exact=True).count() == 0

    page.go_back()
    page.get_by_role("link", name="Rodez (12202)", exact=True).click()
    page.get_by_text("Participation financière").wait_for()
    screenshot("brouillon")
    page.get_by_role("button", name="Supprimer", exact=True).click()
    screenshot("confirmation")
    page.get_by_role("button", name="Oui, je suis sûr").click()
    page.get_by_text("a été supprimé").wait_for()
    screenshot("supprimee")

    assert not Convention.objects.filter(pk=draft.pk).exists()
    assert Convention.objects.filter(commune__insee_code="66049").exists()
    assert not any(private_storage.exists(name) for name in files)
