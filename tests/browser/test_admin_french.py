"""Every admin page a superuser reaches by clicking reads as French is written."""

import re

import pytest
from playwright.sync_api import expect

from conventions import billing
from conventions.models import Convention, IssuingBatch, SchoolYear
from conventions.tasks import issue_in_background
from tests.browser.conftest import log_in
from tests.roles import make_user
from tests.titres_helpers import sign

pytestmark = pytest.mark.browser

# Django's and its apps' wording where a French verbose name needs elision or agreement, and
# English left over: none may appear on any page.
BAD = [
    "Ajout de ",
    "Modification de ",
    "Affichage de ",
    "Sélectionnez l’objet",
    "Ajouter un objet",
    "Tasks Database Backend",
    "Task Result",
    "Cet importateur",
    "champs suivants",
    "Soumettre",
    "Can add",
    "Can view",
    # django_tasks_db's field names and its model's default __str__.
    "Par status",
    "STATUS",
    "Status :",
    "ENQUEUED AT",
    "Enqueued at",
    "STARTED AT",
    "FINISHED AT",
    "DBTaskResult object",
    *(
        f"Supprimer les {plural} sélectionnés"
        for plural in ["conventions", "écoles", "collectivités", "communes", "académies"]
    ),
    "Supprimer les années scolaires sélectionnés",
]


def assert_french(page):
    text = page.title() + "\n" + page.locator("body").inner_text()
    text += "\n".join(page.locator("select[name=action] option").all_inner_texts())
    for bad in BAD:
        assert bad not in text, f"{bad!r} on {page.url}"


@pytest.fixture
def background_work(live_seed_data):
    batch = IssuingBatch.objects.create(
        school_year=SchoolYear.objects.get(label="2026-2027"), convention_ids=[], total=0
    )
    issue_in_background.enqueue(batch.pk)


def test_every_admin_page_reads_as_french(page, live_server, background_work, screenshot):
    log_in(page, live_server, make_user("superuser"))
    expect(page.get_by_role("link", name="Tâches d'arrière-plan")).to_be_visible()
    expect(page.get_by_role("link", name="Résultats de tâches")).to_be_visible()
    assert_french(page)
    models = page.locator("#content-main th[scope=row] a").all_inner_texts()
    assert {"Conventions", "Écoles", "Émissions en arrière-plan"} <= set(models)

    for name in models:
        page.locator("#content-main th[scope=row]").get_by_role(
            "link", name=name, exact=True
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        assert_french(page)
        changelist = page.url
        # Django's own add link (Utilisateurs also offers "Ajouter un agent" before it).
        add = page.locator(".object-tools a.addlink").last
        if add.count():
            label = add.text_content().strip()
            assert re.fullmatch(r"Ajouter (une?|l') ?\S.*", label), label
            add.click()
            expect(page.get_by_role("heading", level=1)).to_have_text(label)
            assert_french(page)
            page.locator(".breadcrumbs li").nth(2).get_by_role("link", name=name).click()
        rows = page.locator("#result_list tbody th a")
        if rows.count():
            rows.first.click()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                re.compile(r"^(Modifier|Consulter) (la |le |l')")
            )
            assert_french(page)
            page.goto(changelist)  # back to the list, as the browser's back button does
        importer = page.locator(".object-tools").get_by_role("link", name="Importer")
        if importer.count():
            importer.click()
            expect(page.get_by_text("Colonnes lues dans le fichier")).to_be_visible()
            expect(page.get_by_role("button", name="Vérifier le fichier")).to_be_visible()
            assert_french(page)
        page.get_by_role("link", name="Accueil").first.click()


def test_gendered_labels_and_long_dates(page, live_server, background_work, screenshot):
    log_in(page, live_server, make_user("superuser"))
    page.locator("#content-main th[scope=row]").get_by_role(
        "link", name="Conventions", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conventions")
    actions = page.locator("select[name=action] option").all_inner_texts()
    # Only drafts can be deleted, and the action says so rather than "les conventions".
    assert "Supprimer les brouillons sélectionnés" in actions
    page.get_by_role("link", name="Ajouter une convention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter une convention")
    expect(page.locator(".breadcrumbs")).to_contain_text("Ajouter une convention")
    expect(page.get_by_role("button", name="Ajouter une école inscrite")).to_be_visible()
    screenshot("ajout-convention")

    page.get_by_role("link", name="Accueil").first.click()
    page.get_by_role("link", name="Émissions en arrière-plan").click()
    page.locator("#result_list tbody th a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Consulter l'émission en arrière-plan"
    )

    page.get_by_role("link", name="Accueil").first.click()
    page.get_by_role("link", name="Années scolaires").click()
    # 2021-2022 ended on 1 September 2022: printed as the portal and the PDFs print it.
    expect(page.locator("#result_list")).to_contain_text("1er septembre 2022")
    expect(page.locator("#result_list")).not_to_contain_text("1 septembre 2022")

    # A tariff reads as money does everywhere: "41,00 €", not "41.00 €".
    page.get_by_role("link", name="Accueil").first.click()
    page.get_by_role("link", name="Tarifs").click()
    page.locator("#result_list tbody th a").first.click()
    expect(page.get_by_role("heading", level=2).first).to_have_text(
        re.compile(r"\d+,00\xa0€ par école$")
    )


def test_the_admins_own_pages_have_the_breadcrumb_bar(page, live_server, live_seed_data):
    billing.prepare_titre(sign(Convention.objects.get(commune__insee_code="12202")))
    log_in(page, live_server, make_user("superuser"))
    page.locator("#content-main th[scope=row]").get_by_role(
        "link", name="Conventions", exact=True
    ).click()
    page.get_by_role("link", name="Céret (66049)").click()
    convention = "Convention 2026-2027 – Céret (COMMUNE DE CERET)"
    crumbs = page.locator("ol.breadcrumbs li")

    page.get_by_role("link", name="Émettre…").click()
    expect(crumbs).to_have_text(["Accueil", "Conventions", "Conventions", convention, "Émettre"])
    page.locator("ol.breadcrumbs").get_by_role("link", name=convention).click()
    page.get_by_role("link", name="Annuler la convention…").click()
    expect(crumbs).to_have_text(["Accueil", "Conventions", "Conventions", convention, "Annuler"])

    page.locator("ol.breadcrumbs").get_by_role("link", name="Accueil").click()
    page.get_by_role("link", name="Titres de perception").click()
    page.get_by_role("checkbox", name=re.compile("Choisir cet objet")).first.check()
    page.get_by_role("combobox", name="Action").select_option(label="Marquer payés…")
    page.get_by_role("button", name="Exécuter").click()
    expect(crumbs).to_have_text(
        ["Accueil", "Conventions", "Titres de perception", "Marquer des titres payés"]
    )


def test_each_apps_page_is_titled_by_its_name(page, live_server, live_seed_data):
    # Django titles it "Administration de %(app)s": "Administration de Écoles".
    log_in(page, live_server, make_user("superuser"))
    # text_content: the captions are upper-cased by the stylesheet only.
    apps = [text.strip() for text in page.locator("#content-main caption a").all_text_contents()]
    assert {"Conventions", "Écoles"} <= set(apps)
    for name in apps:
        page.locator("#content-main caption").get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        assert not page.title().startswith("Administration de"), page.title()
        assert page.title().startswith(name)
        page.get_by_role("link", name="Accueil").first.click()
