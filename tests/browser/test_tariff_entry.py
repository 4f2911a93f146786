"""A tariff typed the French way: "46,50" is 46,50 € (it became 4 650 €), "46.50" as well,
and a rate that cannot be a price per school is refused in French."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from communes.models import Academie
from conventions.models import SchoolYear, Tariff
from tests.browser.conftest import log_in
from tests.roles import make_user

pytestmark = pytest.mark.browser


def add_tariff(page, typed):
    page.get_by_role("link", name="Tarifs", exact=True).first.click()
    page.get_by_role("link", name="Ajouter un tarif").click()
    page.get_by_label("Année scolaire").select_option("2027-2028")
    page.get_by_label("Académie").select_option(label="académie de Montpellier")
    rate = page.get_by_label("Tarif par école (€ TTC)")
    rate.click()
    rate.press_sequentially(typed)  # key by key, as a person types
    page.get_by_role("button", name="Enregistrer", exact=True).click()


@pytest.fixture
def next_year(live_seed_data):
    SchoolYear.objects.get_or_create(label="2027-2028")
    return Academie.objects.get(name="Montpellier")


@pytest.mark.parametrize("typed", ["46,50", "46.50"])
def test_a_rate_typed_with_a_comma_or_a_point_is_saved_as_typed(
    page, live_server, next_year, typed, screenshot
):
    log_in(page, live_server, make_user("superuser"))
    add_tariff(page, typed)

    expect(page.locator(".messagelist")).to_contain_text("ajouté")
    tariff = Tariff.objects.get(school_year__label="2027-2028", academie=next_year)
    assert tariff.rate == Decimal("46.50")
    expect(page.get_by_role("row").filter(has_text="2027-2028")).to_contain_text("46,50")
    screenshot("liste")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "Le tarif par école doit être supérieur à 0 €."),
        ("4650", "Un tarif de 4 650,00 € par école n'est pas plausible"),
    ],
)
def test_an_implausible_rate_is_refused(page, live_server, next_year, typed, message):
    log_in(page, live_server, make_user("superuser"))
    add_tariff(page, typed)

    # Amounts are grouped with a narrow no-break space, euros after a no-break space.
    wording = re.compile(r"\s".join(re.escape(word) for word in message.split(" ")))
    expect(page.locator(".field-rate .errorlist")).to_contain_text(wording)
    assert not Tariff.objects.filter(school_year__label="2027-2028").exists()
