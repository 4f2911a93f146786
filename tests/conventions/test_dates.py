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
