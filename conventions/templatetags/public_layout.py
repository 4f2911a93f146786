"""The State's design system (DSFR) on our public pages, without django-dsfr's app."""

from functools import cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.utils.html import format_html_join

from entconv.dsfr_static import PREFIX, STYLESHEETS

register = template.Library()

# The layout's static URLs (21 on the confirmation page) are computed once per process: the
# manifest of hashed names is itself read once, at the storage's start. They follow the
# settings that make them, which tests change.
STATIC_SETTINGS = {"STATIC_URL", "STATIC_ROOT", "STORAGES"}


@cache
def static_url(path):
    return static(path)


@cache
def stylesheet_links():
    return format_html_join(
        "\n  ",
        '<link rel="stylesheet" href="{}">',
        ((static_url(f"{PREFIX}/{name}"),) for name in STYLESHEETS),
    )


@receiver(setting_changed)
def forget_static_urls(*, setting, **kwargs):
    if setting in STATIC_SETTINGS:
        static_url.cache_clear()
        stylesheet_links.cache_clear()


@register.simple_tag
def dsfr_stylesheets():
    return stylesheet_links()


@register.simple_tag
def layout_static(path):
    """`{% static %}` for the public layout's files, computed once per process."""
    return static_url(path)


WIDGET_CLASSES = {
    "checkbox": "",
    "clearablefile": "fr-upload",
    "file": "fr-upload",
    "select": "fr-select",
}
GROUP_CLASSES = {
    "checkbox": "fr-checkbox-group",
    "clearablefile": "fr-upload-group",
    "file": "fr-upload-group",
    "select": "fr-select-group",
}


@register.inclusion_tag("conventions/portal/_field.html")
def dsfr_field(field):
    """A form field in DSFR markup: label and hint, the input, its errors below."""
    kind = field.widget_type
    group = GROUP_CLASSES.get(kind, "fr-input-group")
    css = WIDGET_CLASSES.get(kind, "fr-input")
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_helptext")
    if field.errors:
        described.append(f"{field.auto_id}_error")
        if css:
            css += f" {css}--error"
    attrs = {}
    if css:
        attrs["class"] = css
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return {
        "field": field,
        "group": group,
        "widget": field.as_widget(attrs=attrs),
        "is_checkbox": kind == "checkbox",
    }


# What the mairie sees of a convention's life, in order; a cancelled one has no stepper.
PORTAL_STEPS = [
    ("brouillon", "Confirmation des écoles par la mairie"),
    ("emise", "Convention émise, à signer par la collectivité"),
    ("signee_collectivite", "Signée par la collectivité"),
    ("signee_academie", "Signée par l'académie"),
    ("facturee", "Facturée"),
]
STEP_OF_STATUS = {"envoyee": "emise"}


@register.inclusion_tag("conventions/portal/_stepper.html")
def convention_stepper(status):
    keys = [key for key, _ in PORTAL_STEPS]
    key = STEP_OF_STATUS.get(status, status)
    if key not in keys:
        return {"current": None}
    index = keys.index(key)
    following = PORTAL_STEPS[index + 1][1] if index + 1 < len(PORTAL_STEPS) else None
    return {
        "current": index + 1,
        "total": len(PORTAL_STEPS),
        "title": PORTAL_STEPS[index][1],
        "next_title": following,
    }
