"""The stepper and the académie's contact are rendered from their templates once per value
they show (conventions/templatetags/public_layout.py): the same HTML as rendering the
template each time, and never a stale one."""

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string

from conventions.enums import ConventionStatus
from conventions.templatetags.public_layout import (
    PORTAL_STEPS,
    academie_contact,
    convention_stepper,
    stepper_context,
)
from tests.factories import AcademieFactory


@pytest.mark.parametrize("status", [*ConventionStatus.values, "inconnu"])
def test_the_stepper_is_its_template_rendered(status):
    expected = render_to_string("conventions/portal/_stepper.html", stepper_context(status))
    assert convention_stepper(status) == expected
    # Again, from the cache.
    assert convention_stepper(status) == expected


def test_each_step_has_its_title_and_the_next():
    html = convention_stepper(ConventionStatus.BROUILLON)
    assert f"Étape 1 sur {len(PORTAL_STEPS)}" in html
    assert PORTAL_STEPS[0][1] in html and PORTAL_STEPS[1][1] in html
    assert convention_stepper(ConventionStatus.ANNULEE).strip() == ""


@pytest.mark.django_db
def test_the_contact_is_its_template_rendered_and_follows_the_academie():
    academie = AcademieFactory(
        contact_address="31 rue de l'Université\n34000 Montpellier",
        contact_email="ent-ecole@ac-montpellier.example",
        contact_phone="04 67 91 47 00",
    )
    template = Template('{% include "conventions/portal/_academie_contact.html" %}')
    assert academie_contact(academie) == template.render(Context({"academie": academie}))
    academie.contact_phone = "04 67 91 47 01"
    academie.contact_email = 'a"b@ac-montpellier.example'
    html = academie_contact(academie)
    assert html == template.render(Context({"academie": academie}))
    assert "04 67 91 47 01" in html and "04 67 91 47 00" not in html
    academie.contact_address = academie.contact_email = academie.contact_phone = ""
    assert academie_contact(academie).strip() == ""
    assert academie_contact(None) == ""
