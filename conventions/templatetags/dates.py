import datetime

from django import template
from django.utils import timezone

register = template.Library()

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


@register.filter
def long_date(value):
    """A date as French prints it in full: "1er septembre 2022", "21 mai 2026"."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    day = "1er" if value.day == 1 else str(value.day)
    # French whatever the active language (management commands, workers); from a table:
    # switching the language for Django's date format cost more than the rest of the
    # confirmation page's alert.
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


@register.filter
def long_datetime(value):
    """A moment as the admin shows it: "1er décembre 2026 à 09:05", in Paris time."""
    if not value:
        return ""
    value = timezone.localtime(value)
    return f"{long_date(value)} à {value:%H:%M}"
