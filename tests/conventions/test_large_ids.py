"""Row ids past 999 in forms: with USE_THOUSAND_SEPARATOR a bare {{ pk }} renders "20 751",
which posted back matches no row. PostgreSQL reaches such ids quickly (sequences are never
reset), which is how the open-schools page added "0 école(s)" on a real database."""

import re
from datetime import date

import pytest
from django.urls import reverse

from conventions import billing
from conventions.enums import TitreStatus
from conventions.models import Convention, Titre
from tests.factories import SchoolFactory
from tests.roles import make_user
from tests.titres_helpers import sign

pytestmark = pytest.mark.django_db


def posted_back(page, name):
    """The values a browser would post for the inputs named so (checked or hidden)."""
    return re.findall(rf'name="{name}" value="([^"]*)"', page)


def test_open_schools_with_large_ids_are_enrolled(client, seed_data):
    ceret = Convention.objects.get(commune__insee_code="66049")
    school = SchoolFactory(pk=20751, commune=ceret.commune, name="Ecole primaire publique Neuve")
    client.force_login(make_user("gestion"))
    url = reverse("admin:conventions_convention_open_schools", args=[ceret.pk])

    values = posted_back(client.get(url).content.decode(), "school")
    assert values == ["20751"]
    response = client.post(url, {"school": values}, follow=True)

    assert "1 école ajoutée" in response.content.decode()
    assert school in ceret.schools.all()


def test_titres_with_large_ids_are_marked_paid(client, seed_data):
    convention = Convention.objects.get(commune__insee_code="66049")
    titre = billing.issue_titre(sign(convention), on=date(2026, 11, 23))
    Titre.objects.filter(pk=titre.pk).update(id=4321)
    client.force_login(make_user("comptabilite"))
    changelist = reverse("admin:conventions_titre_changelist")

    form = client.post(changelist, {"action": "mark_paid_selected", "_selected_action": [4321]})
    values = posted_back(form.content.decode(), "_selected_action")
    assert values == ["4321"]
    client.post(
        changelist,
        {
            "action": "mark_paid_selected",
            "_selected_action": values,
            "apply": "1",
            "paid_on": "2027-02-01",
            "amount_paid": str(convention.issued_amount),
        },
    )
    assert Titre.objects.get(pk=4321).status == TitreStatus.PAYE
