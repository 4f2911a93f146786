"""The DSFR fields and school checkboxes written in Python (conventions/templatetags/
public_layout.py) give exactly the markup of the templates they replaced."""

import pytest
from django import forms
from django.template import Context, Template
from django.utils.safestring import mark_safe

from conventions.templatetags.public_layout import dsfr_field, school_checkbox, school_checkboxes
from schools.enums import SchoolKind, Sector
from schools.models import School

# conventions/portal/_field.html, rendered by the inclusion tag until December 2026, with the
# context that tag gave it.
FIELD_TEMPLATE = """<div class="{{ group }}{% if field.errors %} {{ group }}--error{% endif %}" id="{{ field.auto_id }}-groupe">
  {% if is_checkbox %}{{ widget }}{% endif %}
  <label class="fr-label" for="{{ field.id_for_label }}">{{ field.label }}
    {% if field.help_text %}<span class="fr-hint-text" id="{{ field.auto_id }}_helptext">{{ field.help_text }}</span>{% endif %}
  </label>
  {% if not is_checkbox %}{{ widget }}{% endif %}
  {% if field.errors %}
  <div class="fr-messages-group" id="{{ field.auto_id }}_error" aria-live="polite">
    {% for error in field.errors %}<p class="fr-message fr-message--error fr-error-text error">{{ error }}</p>{% endfor %}
  </div>
  {% endif %}
</div>
"""  # noqa: E501

# The loop's body in conventions/portal/confirmation.html until December 2026.
SCHOOL_TEMPLATE = """{% load l10n %}<div class="fr-fieldset__element">
      <div class="fr-checkbox-group">
        <input type="checkbox" name="ecoles" value="{{ school.pk|unlocalize }}" id="ecole-{{ school.pk|unlocalize }}"{% if ticked %} checked{% endif %}>
        <label class="fr-label" for="ecole-{{ school.pk|unlocalize }}">{{ school.name }}<span class="fr-hint-text">École {{ school.get_kind_display }}, secteur {{ school.get_sector_display }}, UAI {{ school.uai }}</span></label>
      </div>
    </div>"""  # noqa: E501

WIDGET_CLASSES = {"checkbox": "", "clearablefile": "fr-upload", "file": "fr-upload"}
GROUP_CLASSES = {
    "checkbox": "fr-checkbox-group",
    "clearablefile": "fr-upload-group",
    "file": "fr-upload-group",
    "select": "fr-select-group",
}


def reference_field(field):
    """What the inclusion tag rendered (its Python part, then the template above)."""
    kind = field.widget_type
    group = GROUP_CLASSES.get(kind, "fr-input-group")
    css = WIDGET_CLASSES.get(kind, "fr-select" if kind == "select" else "fr-input")
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
    return Template(FIELD_TEMPLATE).render(
        Context(
            {
                "field": field,
                "group": group,
                "widget": field.as_widget(attrs=attrs),
                "is_checkbox": kind == "checkbox",
            }
        )
    )


class SampleForm(forms.Form):
    name = forms.CharField(label="Nom du représentant", help_text="« Michel COSTE »")
    plain = forms.CharField(label='L\'école "Les <Tilleuls>" & Cie')
    text = forms.CharField(
        label="L'école que vous ne trouvez pas",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=mark_safe("son nom, <em>son adresse</em>"),
    )
    agree = forms.BooleanField(label="J'accepte", help_text="obligatoire")
    copy = forms.FileField(label="Copie signée (PDF)", help_text="10 Mo au plus")
    upload = forms.FileField(label="Fichier", required=False, widget=forms.ClearableFileInput)
    year = forms.ChoiceField(label="Année", choices=[("2026", "2026-2027"), ("<x>", "<x>")])


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"name": "Jeanne <DUPONT>", "plain": "", "text": "a & b", "agree": "on", "year": "<x>"},
        {"year": "inconnue"},
    ],
    ids=["unbound", "all-errors", "some-errors", "bad-choice"],
)
@pytest.mark.parametrize("name", list(SampleForm.base_fields))
def test_a_field_is_written_as_its_template_wrote_it(data, name):
    form = SampleForm(data) if data is not None else SampleForm()
    if data is not None:
        form.is_valid()
        form.add_error(None, "ignorée ici") if name == "name" else None
    field = form[name]
    assert dsfr_field(field) == reference_field(field)


@pytest.mark.parametrize("ticked", [True, False])
@pytest.mark.parametrize(
    "name", ["Ecole primaire publique Jean Moulin", 'Ecole "<Les Tilleuls>" & L\'Oustal']
)
def test_a_school_checkbox_is_written_as_its_template_wrote_it(name, ticked):
    school = School(
        pk=1234567,
        uai="0660560A",
        name=name,
        kind=SchoolKind.MATERNELLE,
        sector=Sector.PRIVE,
    )
    expected = Template(SCHOOL_TEMPLATE).render(Context({"school": school, "ticked": ticked}))
    assert school_checkbox(school, ticked) == expected


def test_the_list_of_schools_is_its_rows_in_order():
    schools = [
        (
            School(
                pk=pk, uai=f"066056{pk}A", name=f"Ecole {pk}", kind="primaire", sector="public"
            ),
            ticked,
        )
        for pk, ticked in ((3, True), (1, False), (2, True))
    ]
    rows = [school_checkbox(school, ticked) for school, ticked in schools]
    assert school_checkboxes(schools) == "\n    ".join(rows)
    assert school_checkboxes(schools).index('value="3"') < school_checkboxes(schools).index(
        'value="1"'
    )
    assert school_checkboxes([]) == ""
