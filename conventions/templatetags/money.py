from decimal import Decimal

from django import template
from django.utils import translation
from django.utils.formats import number_format
from num2words import num2words

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


@register.filter
def euros_short(value):
    """As the conventions print a rate or amount: "41 €", "1 234 €", "41,50 €"."""
    if value is None or value == "":
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        with translation.override("fr"):
            formatted = number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)
        return f"{formatted}\N{NO-BREAK SPACE}€"
    return euros(value)


@register.filter
def euros_in_words(value):
    """164 -> "cent soixante-quatre euros"; 45.5 -> "… euros et cinquante centimes"."""
    if value is None or value == "":
        return ""
    value = Decimal(value).quantize(Decimal("0.01"))
    units, cents = divmod(int(value * 100), 100)
    # num2words' own currency mode prints "et zéro centimes": build the phrase ourselves.
    text = f"{num2words(units, lang='fr')} euro{'s' if units > 1 else ''}"
    if cents:
        text += f" et {num2words(cents, lang='fr')} centime{'s' if cents > 1 else ''}"
    return text
