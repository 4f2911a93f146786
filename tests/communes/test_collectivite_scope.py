"""A collectivité whose communes lie in both académies (a syndicat straddling the Aude and
the Haute-Garonne), changed by a Toulouse agent: he sees and edits only his communes, and
saving the form keeps the Montpellier ones he cannot see."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from communes.models import Collectivite, Departement
from tests.factories import CollectiviteFactory, CommuneFactory
from tests.roles import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def syndicat(db):
    call_command("loaddata", "reference", verbosity=0)
    haute_garonne = Departement.objects.get(code="031")
    aude = Departement.objects.get(code="011")
    syndicat = CollectiviteFactory(name="SIVU DES DEUX RIVES", siret="20003586300014")
    syndicat.communes.set(
        [
            CommuneFactory(name="Villefranche", departement=haute_garonne),
            CommuneFactory(name="Avignonet", departement=haute_garonne),
            CommuneFactory(name="Castelnaudary", departement=aude),
        ]
    )
    return syndicat


def toulouse_agent():
    client = Client()
    client.force_login(make_user("gestion", "toulouse", academie="16"))
    return client


def posted(page, **changes):
    """What the browser posts back: the form as shown, the communes as the widget lists
    them (the selected options it renders)."""
    form = page.context["adminform"].form
    data = {
        name: getattr(value, "pk", value)
        for name, value in form.initial.items()
        if value is not None and name in form.fields and name != "communes"
    }
    select = re.search(r'<select name="communes".*?</select>', page.text, re.S).group(0)
    data["communes"] = re.findall(r'<option value="(\d+)" selected>', select)
    data.update(changes)
    return data


def names(collectivite):
    return sorted(collectivite.communes.values_list("name", flat=True))


def test_the_agent_sees_only_his_communes_and_saving_keeps_the_others(syndicat):
    client = toulouse_agent()
    url = reverse("admin:communes_collectivite_change", args=[syndicat.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Villefranche" in page.text and "Castelnaudary" not in page.text

    response = client.post(url, posted(page, representative_name="Mme Alice ROUX"))

    assert response.status_code == 302
    syndicat = Collectivite.objects.get(pk=syndicat.pk)
    assert syndicat.representative_name == "Mme Alice ROUX"
    assert names(syndicat) == ["Avignonet", "Castelnaudary", "Villefranche"]


def test_the_agent_removes_one_of_his_communes_and_the_others_stay(syndicat):
    client = toulouse_agent()
    url = reverse("admin:communes_collectivite_change", args=[syndicat.pk])
    data = posted(client.get(url))
    avignonet = syndicat.communes.get(name="Avignonet")
    data["communes"] = [pk for pk in data["communes"] if str(pk) != str(avignonet.pk)]

    assert client.post(url, data).status_code == 302

    assert names(syndicat) == ["Castelnaudary", "Villefranche"]
    # The history says he removed Avignonet, and nothing of Castelnaudary.
    latest = syndicat.history.order_by("-history_id").first()
    assert latest.history_user.username == "toulouse"
    delta = latest.diff_against(latest.prev_record)
    change = next(c for c in delta.changes if c.field == "communes")
    before = {row["commune"] for row in change.old}
    after = {row["commune"] for row in change.new}
    assert before - after == {avignonet.pk}
