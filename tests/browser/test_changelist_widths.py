"""At 1366×900, sidebar and filters open, the lists keep their key columns in sight."""

import pytest

from conventions import billing
from conventions.models import Convention
from tests.browser.conftest import VIEWPORT, log_in
from tests.roles import make_user
from tests.titres_helpers import sign

pytestmark = pytest.mark.browser


@pytest.fixture
def titres(live_seed_data):
    for convention in Convention.objects.all():
        billing.prepare_titre(sign(convention))
    billing.issue(Convention.objects.get(commune__insee_code="12202").titres.get())


def assert_in_sight(page, columns):
    width = VIEWPORT["width"]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    box = page.locator("#changelist .results").bounding_box()
    rows = page.locator("#result_list tbody tr")
    assert rows.count() >= 4
    for column in columns:
        cells = page.locator(f"#result_list tbody .field-{column}")
        assert cells.count() == rows.count(), column
        for cell in cells.all():
            right = cell.bounding_box()["x"] + cell.bounding_box()["width"]
            # Inside the page and inside the list's own box, which hides what overflows it.
            assert right <= width, (column, right)
            assert right <= box["x"] + box["width"] + 1, (column, right, box)


def test_key_columns_stay_in_sight(page, live_server, titres, screenshot):
    log_in(page, live_server, make_user("superuser"))
    page.locator("#content-main th[scope=row]").get_by_role(
        "link", name="Conventions", exact=True
    ).click()
    assert_in_sight(page, ["status_badge", "school_count_display", "amount_display"])
    screenshot("conventions")

    page.get_by_role("link", name="Accueil").first.click()
    page.get_by_role("link", name="Titres de perception").click()
    assert_in_sight(page, ["number_display", "amount_display", "titre_status"])
    screenshot("titres")
