import pytest
from django.core.management import call_command

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
    context = browser.new_context(accept_downloads=True, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def live_seed_data(transactional_db):
    call_command("loaddata", "reference", "demo", verbosity=0)
