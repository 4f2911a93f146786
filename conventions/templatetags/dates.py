import datetime

from django import template
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format

register = template.Library()


@register.filter
def long_date(value):
    """A date as French prints it in full: "1er septembre 2022", "21 mai 2026"."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    # Month names are French whatever the active language (management commands, workers).
    with translation.override("fr"):
        month_year = date_format(value, "F Y")
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {month_year}"


@register.filter
def long_datetime(value):
    """A moment as the admin shows it: "1er décembre 2026 à 09:05", in Paris time."""
    if not value:
        return ""
    value = timezone.localtime(value)
    return f"{long_date(value)} à {value:%H:%M}"
