"""The campaign dashboard on a phone (375 px): the page itself never scrolls sideways; the
wide tables scroll inside their own box."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.roles import make_user

pytestmark = pytest.mark.browser


def test_the_dashboard_fits_a_375_px_screen(page, live_server, live_seed_data, screenshot):
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(page, live_server, make_user("gestion"))
    page.get_by_role("link", name="Tableau de bord de la campagne").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tableau de bord")
    screenshot("telephone")

    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > 376
                       && !el.closest('.entconv-table-scroll'))
            .map(el => el.tagName + ' ' + Math.round(el.getBoundingClientRect().right))
            .slice(0, 15)"""
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, too_wide
