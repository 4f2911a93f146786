"""entconv/plain_widgets.py writes exactly the markup of Django's widget templates."""

import pytest
from django import forms
from django.utils.safestring import mark_safe

from entconv import plain_widgets

VALUES = [
    None,
    "",
    "Jeanne DUPONT",
    'L\'école "Les <Tilleuls>" & Cie',
    mark_safe("<b>déjà sûr</b>"),
    0,
    12,
    "0",
    "ligne 1\nligne 2",
]
ATTRS = [
    None,
    {},
    {"id": "id_nom", "required": True, "maxlength": 150},
    {
        "id": "id_nom",
        "class": "fr-input fr-input--error",
        "aria-describedby": "id_nom_helptext id_nom_error",
        "disabled": False,
        "autofocus": True,
        "data-x": '"<q>"&',
        "rows": 2,
        "zero": 0,
        "none": None,
    },
]
PAIRS = [
    (plain_widgets.TextInput, forms.TextInput),
    (plain_widgets.HiddenInput, forms.HiddenInput),
    (plain_widgets.Textarea, forms.Textarea),
]


@pytest.mark.parametrize(("plain", "django"), PAIRS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("attrs", ATTRS)
def test_same_markup_as_django_templates(plain, django, value, attrs):
    own = {"rows": 3, "placeholder": "ex. « MAIRE »"}
    expected = django(attrs=own).render("nom", value, attrs=attrs)
    got = plain(attrs=own).render("nom", value, attrs=attrs)
    assert got == expected
    assert type(got) is type(expected)


def test_another_template_goes_through_it():
    class Custom(plain_widgets.TextInput):
        pass

    widget = Custom()
    widget.template_name = "django/forms/widgets/textarea.html"
    assert widget.render("nom", "x").startswith("<textarea")


def test_the_confirmation_page_forms_use_them():
    from conventions.confirmation_views import ConfirmationForm, MissingSchoolForm

    form = ConfirmationForm(offered=None, convention=None)
    widgets = [form.fields[name].widget for name in form.fields if name != "ecoles"]
    widgets.append(MissingSchoolForm().fields["text"].widget)
    assert all(isinstance(widget, plain_widgets.PlainRendering) for widget in widgets), widgets
