import datetime
import zoneinfo

import pytest

from conventions.templatetags.dates import long_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime.date(2022, 9, 1), "1er septembre 2022"),
        (datetime.date(2026, 5, 21), "21 mai 2026"),
        (datetime.date(2027, 2, 11), "11 février 2027"),
        (datetime.date(2026, 8, 1), "1er août 2026"),
        (None, ""),
    ],
)
def test_long_date_prints_the_first_of_the_month_as_french_does(value, expected):
    assert long_date(value) == expected


def test_long_date_of_a_moment_is_the_day_in_france(settings):
    settings.TIME_ZONE = "Europe/Paris"
    # 23:30 UTC on 31 August is already 1 September in Paris.
    moment = datetime.datetime(2026, 8, 31, 23, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
    assert long_date(moment) == "1er septembre 2026"


@pytest.mark.parametrize("month", range(1, 13))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_long_date_names_every_month_as_django_names_it_in_french(month, language):
    from django.utils import translation
    from django.utils.dateformat import format as date_format

    value = datetime.date(2026, month, 15)
    with translation.override("fr"):
        expected = f"15 {date_format(value, 'F Y')}"
    # Whatever language is active (management commands, workers): French.
    with translation.override(language):
        assert long_date(value) == expected


def test_long_datetime_is_the_day_and_the_time_in_france(settings):
    from conventions.templatetags.dates import long_datetime

    settings.TIME_ZONE = "Europe/Paris"
    moment = datetime.datetime(2026, 8, 31, 23, 5, tzinfo=zoneinfo.ZoneInfo("UTC"))
    assert long_datetime(moment) == "1er septembre 2026 à 01:05"
