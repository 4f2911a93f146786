import pytest

from tests.browser.conftest import log_in
from tests.roles import ROLES, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role", ROLES)
def test_each_role_logs_in_from_the_login_page(page, live_server, transactional_db, role):
    log_in(page, live_server, make_user(role))
    assert page.get_by_role("heading", name="Administration du site").is_visible() or (
        page.get_by_text("Conventions").first.is_visible()
    )
