from decimal import Decimal

from django import template
from django.utils import translation
from django.utils.formats import number_format

register = template.Library()


@register.filter
def euros(value):
    """1234 -> "1 234,00 €" (French grouping with a narrow no-break space)."""
    if value is None or value == "":
        return ""
    # Amounts are French whatever the active language (management commands, workers).
    with translation.override("fr"):
        formatted = number_format(
            Decimal(value), decimal_pos=2, use_l10n=True, force_grouping=True
        )
    return f"{formatted}\N{NO-BREAK SPACE}€"
