"""The public pages show the school year under way, not the campaign staff are preparing."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.models import Academie
from conventions.models import SchoolYear, Tariff
from tests.factories import SchoolYearFactory

pytestmark = pytest.mark.django_db

NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def today(monkeypatch):
    """today(date): the day the site believes it is, at noon in Paris."""

    def set_today(day):
        moment = datetime.datetime.combine(
            day, datetime.time(12), tzinfo=timezone.get_current_timezone()
        )
        monkeypatch.setattr(timezone, "now", lambda: moment)

    set_today(datetime.date(2026, 12, 3))
    return set_today


def simulate(client, **params):
    return client.get(reverse("conventions:simulator"), params).content.decode()


def offered_years(content):
    return re.findall(r'<option value="(\d{4}-\d{4})"', content)


def selected_year(content):
    return re.search(r'<option value="(\d{4}-\d{4})" selected', content).group(1)


def prepare_next_campaign(rate=None):
    year = SchoolYearFactory(label="2027-2028", end_date=datetime.date(2028, 9, 5))
    if rate is not None:
        Tariff.objects.create(
            school_year=year, academie=Academie.objects.get(code="11"), rate=rate
        )
    return year


def test_a_campaign_prepared_for_next_year_does_not_move_the_simulator(client, seed_data, today):
    prepare_next_campaign()
    content = simulate(client, q="ceret")
    assert selected_year(content) == "2026-2027"
    assert '<h2 id="simulation">Céret – 2026-2027</h2>' in content
    assert f"4 écoles × 41,00{NBSP}€ = 164,00{NBSP}€" in content
    # Without a rate, next year is no choice at all.
    assert "2027-2028" not in offered_years(content)
    assert "Sélectionnez un choix valide" in simulate(client, school_year="2027-2028", q="ceret")


def test_next_year_with_a_rate_is_offered_but_not_chosen(client, seed_data, today):
    prepare_next_campaign(rate=Decimal("43.00"))
    content = simulate(client, q="ceret")
    assert selected_year(content) == "2026-2027"
    assert "2027-2028" in offered_years(content)
    assert f"4 écoles × 43,00{NBSP}€ = 172,00{NBSP}€" in simulate(
        client, school_year="2027-2028", q="ceret"
    )


def test_the_home_page_shows_the_rates_of_the_year_under_way(client, seed_data, today):
    prepare_next_campaign(rate=Decimal("43.00"))
    content = client.get(reverse("conventions:home")).content.decode()
    assert "Tarifs par école pour l'année scolaire 2026-2027" in content
    assert "43,00" not in content


def test_the_pages_turn_to_the_new_year_on_its_first_day(client, seed_data, today):
    prepare_next_campaign(rate=Decimal("43.00"))
    today(datetime.date(2027, 8, 31))
    assert selected_year(simulate(client, q="ceret")) == "2026-2027"
    home = reverse("conventions:home")
    assert "l'année scolaire 2026-2027" in client.get(home).content.decode()
    # Nothing in the reference data changed: only the date tells the cache.
    today(datetime.date(2027, 9, 1))
    assert selected_year(simulate(client, q="ceret")) == "2027-2028"
    assert "l'année scolaire 2027-2028" in client.get(home).content.decode()


def test_a_year_under_way_without_any_rate_is_not_the_default(client, seed_data, today):
    # The rentrée came before the rates were voted: the last year with a rate is shown.
    prepare_next_campaign()
    today(datetime.date(2027, 9, 15))
    content = simulate(client, q="ceret")
    assert selected_year(content) == "2026-2027"
    assert "2027-2028" in offered_years(content)
    assert SchoolYear.objects.filter(label="2027-2028").exists()
