import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from conventions.access_links import send_access_link
from tests.portal_helpers import issued_ceret
from tests.roles import PASSWORD

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session", autouse=True)
def test_database_before_live_server(django_db_setup):
    # live_server hands the in-memory SQLite connection to its threads only if the test
    # database exists when it starts; otherwise each request opens a connection that is
    # never closed.
    return


@pytest.fixture(scope="session", autouse=True)
def live_server_serves_collected_static():
    # pytest-django wraps the live server in staticfiles' handler, which looks files up
    # through the finders: the hashed names of the manifest storage the tests run with
    # ("base.6398cd16ee3d.css") are not there, so every page came without CSS or JS. Let
    # WhiteNoise serve the collected files, as in production.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "django.contrib.staticfiles.handlers.StaticFilesHandler",
            lambda application: application,
        )
        yield


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread while the browser is open;
    # the ORM calls the tests make between browser steps are plain synchronous ones. Set
    # for this module only, so that no other test (nor `check --deploy`) inherits it.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, locale="fr-FR", viewport=VIEWPORT)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def live_seed_data(transactional_db):
    call_command("loaddata", "reference", "demo", verbosity=0)


# Every journey runs at the width a rectorat laptop shows: 1366×900.
VIEWPORT = {"width": 1366, "height": 900}
# Screenshots are test output, never committed (see .gitignore).
SCREENSHOT_DIR = settings.BASE_DIR / "test-output" / "screenshots"


@pytest.fixture
def screenshot(page, request):
    """screenshot("etape") saves a full-page PNG named after the test and the step."""

    def take(step):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{request.node.name}-{step}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


def log_in(page, live_server, user):
    """From the admin's login page, as a person types it."""
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill(user.username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Déconnexion").or_(
        page.get_by_role("button", name="Déconnexion")
    ).first.wait_for()


@pytest.fixture
def ceret_sent(live_seed_data, live_server, settings):
    """Céret's convention issued, and its link e-mailed as staff send it."""
    settings.SITE_URL = live_server.url
    settings.STAFF_NOTIFICATION_EMAILS = ["ent-ecole@rectorat.example"]
    convention, _ = issued_ceret()
    mail.outbox.clear()
    send_access_link(convention)
    return convention
