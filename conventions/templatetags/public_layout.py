"""The State's design system (DSFR) on our public pages, without django-dsfr's app."""

from functools import cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.autoreload import file_changed
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from entconv.dsfr_static import PREFIX, STYLESHEETS
from entconv.plain_widgets import conditional_escape as escape
from schools.enums import SchoolKind, Sector

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
    # reverse() reads the prefix itself: it is an argument only to key the cache.
    return reverse(name, urlconf=urlconf)


@receiver(setting_changed)
def forget_layout_urls(*, setting, **kwargs):
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
        f'<span class="fr-hint-text" id="{escape(auto_id)}_helptext">'
        f"{escape(field.help_text)}</span>"
        if field.help_text
        else ""
    )
    messages = (
        f'\n  <div class="fr-messages-group" id="{escape(auto_id)}_error" aria-live="polite">'
        "\n    "
        + "".join(
            f'<p class="fr-message fr-message--error fr-error-text error">{escape(error)}</p>'
            for error in errors
        )
        + "\n  </div>\n  "
        if errors
        else ""
    )
    error_class = f" {group}--error" if errors else ""
    return mark_safe(
        f'<div class="{escape(group)}{escape(error_class)}" id="{escape(auto_id)}-groupe">\n'
        f"  {widget if is_checkbox else ''}\n"
        f'  <label class="fr-label" for="{escape(field.id_for_label)}">{escape(field.label)}\n'
        f"    {hint}\n  </label>\n  {'' if is_checkbox else widget}\n  {messages}\n</div>\n"
    )


# The labels of a school's kind and sector: get_kind_display() without its lookups.
KIND_LABELS = dict(SchoolKind.choices)
SECTOR_LABELS = dict(Sector.choices)


@register.simple_tag
def school_checkboxes(schools):
    """The confirmation page's list of schools: `schools`, pairs of a school and whether it
    is ticked. One tag for the list: a template loop cost more than the rows it wrote."""
    return mark_safe("\n    ".join(school_checkbox(school, ticked) for school, ticked in schools))


def school_checkbox(school, ticked):
    """One school of the confirmation page's list: a DSFR checkbox, its label and hint."""
    pk = escape(school.pk)
    return mark_safe(
        '<div class="fr-fieldset__element">\n'
        '      <div class="fr-checkbox-group">\n'
        f'        <input type="checkbox" name="ecoles" value="{pk}" id="ecole-{pk}"'
        f"{' checked' if ticked else ''}>\n"
        f'        <label class="fr-label" for="ecole-{pk}">{escape(school.name)}'
        f'<span class="fr-hint-text">École {escape(KIND_LABELS.get(school.kind, school.kind))}, '
        f"secteur {escape(SECTOR_LABELS.get(school.sector, school.sector))}, "
        f"UAI {escape(school.uai)}</span></label>\n"
        "      </div>\n"
        "    </div>"
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


def stepper_context(status):
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


# The stepper and the académie's contact show a few values: each is rendered from its
# template once per process and set of values (an inclusion or include cost more than the
# rest of a portal page's alerts). At most this many kept for the contact (an académie's
# contact is edited a few times a year).
CONTACTS_KEPT = 32
_contacts = {}


@cache
def rendered_stepper(status):
    return mark_safe(render_to_string("conventions/portal/_stepper.html", stepper_context(status)))


@register.simple_tag
def convention_stepper(status):
    return rendered_stepper(status)


@register.simple_tag
def academie_contact(academie):
    """conventions/portal/_academie_contact.html for `academie` (None: nothing)."""
    if academie is None:
        return ""
    key = (
        str(academie),
        academie.contact_address,
        academie.contact_email,
        academie.contact_phone,
    )
    html = _contacts.get(key)
    if html is None:
        html = mark_safe(
            render_to_string("conventions/portal/_academie_contact.html", {"academie": academie})
        )
        if len(_contacts) >= CONTACTS_KEPT:
            _contacts.clear()
        _contacts[key] = html
    return html


@receiver(file_changed)
def forget_rendered_fragments(*, file_path, **kwargs):
    # While developing (runserver), an edited template shows at once, as Django's own.
    if file_path.suffix == ".html":
        rendered_stepper.cache_clear()
        _contacts.clear()
