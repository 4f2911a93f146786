"""The State's design system (DSFR) on our public pages, without django-dsfr's app."""

from functools import cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from entconv.dsfr_static import PREFIX, STYLESHEETS

register = template.Library()

# The layout's static URLs (21 on the confirmation page) and links (7) are computed once per
# process: the manifest of hashed names is itself read once, at the storage's start. They
# follow the settings that make them, which tests change.
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


@cache
def layout_reverse(name, script_prefix, urlconf):
    return reverse(name, urlconf=urlconf)


@receiver(setting_changed)
def forget_static_urls(*, setting, **kwargs):
    if setting in STATIC_SETTINGS:
        static_url.cache_clear()
        stylesheet_links.cache_clear()
    if setting == "ROOT_URLCONF":
        layout_reverse.cache_clear()


@register.simple_tag
def dsfr_stylesheets():
    return stylesheet_links()


@register.simple_tag
def layout_static(path):
    """`{% static %}` for the public layout's files, computed once per process."""
    return static_url(path)


@register.simple_tag
def layout_url(name):
    """`{% url name %}` without arguments for the layout's links, computed once per process
    and prefix (the site may be served under a path: SCRIPT_NAME)."""
    return layout_reverse(name, get_script_prefix(), get_urlconf())


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


@register.simple_tag
def dsfr_field(field):
    """A form field in DSFR markup: label and hint, the input, its errors below.

    Written in Python, not an inclusion template: rendering the confirmation page's five
    fields through a template took a third of its rendering (tests/test_dsfr_markup.py
    checks the markup against that template)."""
    kind = field.widget_type
    group = GROUP_CLASSES.get(kind, "fr-input-group")
    css = WIDGET_CLASSES.get(kind, "fr-input")
    errors = field.errors
    auto_id = field.auto_id
    described = []
    if field.help_text:
        described.append(f"{auto_id}_helptext")
    if errors:
        described.append(f"{auto_id}_error")
        if css:
            css += f" {css}--error"
    attrs = {}
    if css:
        attrs["class"] = css
    if described:
        attrs["aria-describedby"] = " ".join(described)
    widget = field.as_widget(attrs=attrs)
    is_checkbox = kind == "checkbox"
    hint = (
        format_html(
            '<span class="fr-hint-text" id="{}_helptext">{}</span>', auto_id, field.help_text
        )
        if field.help_text
        else ""
    )
    messages = (
        format_html(
            '\n  <div class="fr-messages-group" id="{}_error" aria-live="polite">\n    {}\n'
            "  </div>\n  ",
            auto_id,
            format_html_join(
                "",
                '<p class="fr-message fr-message--error fr-error-text error">{}</p>',
                ((error,) for error in errors),
            ),
        )
        if errors
        else ""
    )
    return format_html(
        '<div class="{}{}" id="{}-groupe">\n  {}\n  <label class="fr-label" for="{}">{}\n'
        "    {}\n  </label>\n  {}\n  {}\n</div>\n",
        group,
        f" {group}--error" if errors else "",
        auto_id,
        widget if is_checkbox else "",
        field.id_for_label,
        field.label,
        hint,
        "" if is_checkbox else widget,
        messages,
    )


@register.simple_tag
def school_checkbox(school, ticked):
    """One school of the confirmation page's list: a DSFR checkbox, its label and hint."""
    pk = str(school.pk)
    return format_html(
        '<div class="fr-fieldset__element">\n'
        '      <div class="fr-checkbox-group">\n'
        '        <input type="checkbox" name="ecoles" value="{}" id="ecole-{}"{}>\n'
        '        <label class="fr-label" for="ecole-{}">{}<span class="fr-hint-text">École {}, '
        "secteur {}, UAI {}</span></label>\n"
        "      </div>\n"
        "    </div>",
        pk,
        pk,
        mark_safe(" checked") if ticked else "",
        pk,
        school.name,
        school.get_kind_display(),
        school.get_sector_display(),
        school.uai,
    )


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
