from django import template

from communes import french

register = template.Library()


@register.filter
def pluriel(count, suffix="s"):
    """{{ n }} école{{ n|pluriel }}: "0 école", "2 écoles" (Django's pluralize: "0 écoles")."""
    try:
        return french.pluralize(int(count), suffix)
    except (TypeError, ValueError):
        return ""
