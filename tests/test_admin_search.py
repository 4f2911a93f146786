import re

import pytest
from django.urls import reverse

from tests.factories import (
    CollectiviteFactory,
    CommuneFactory,
    ConventionFactory,
    enroll,
    valid_uai,
)

pytestmark = pytest.mark.django_db


def found(client, q):
    response = client.get(reverse("admin:conventions_convention_changelist"), {"q": q})
    return {
        int(pk) for pk in re.findall(r'"_selected_action" value="(\d+)"', str(response.content))
    }


def convention(name):
    return ConventionFactory(
        commune=CommuneFactory(name=name),
        collectivite=CollectiviteFactory(name=f"COMMUNE DE {name.upper()}", city=name),
    )


def test_uais_find_the_conventions_enrolling_them(admin_client):
    ceret, rodez, albi = convention("Céret"), convention("Rodez"), convention("Albi")
    (ceret_school,) = enroll(ceret)
    (rodez_school,) = enroll(rodez)
    enroll(albi)
    assert found(admin_client, ceret_school.uai.lower()) == {ceret.pk}
    assert found(admin_client, f"{ceret_school.uai} {rodez_school.uai}") == {ceret.pk, rodez.pk}
    assert found(admin_client, valid_uai(9999999)) == set()
    assert found(admin_client, "albi") == {albi.pk}
