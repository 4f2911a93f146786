import re

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.urls import reverse

from communes.changelists import ChangelistRowsMixin
from conventions.models import Convention
from tests.factories import CollectiviteFactory, CommuneFactory, ConventionFactory

pytestmark = pytest.mark.django_db


def test_row_checkbox_is_the_markup_django_renders():
    convention = ConventionFactory(
        commune=CommuneFactory(name="Saint-Jean-d'Aulps <&>"),
        collectivite=CollectiviteFactory(name='SIVU "Les Écoles" & Cie'),
    )
    model_admin = admin.site._registry[Convention]
    assert isinstance(model_admin, ChangelistRowsMixin)
    expected = admin.ModelAdmin.action_checkbox(model_admin, convention)
    assert model_admin.action_checkbox(convention) == expected


def test_actions_still_apply_to_the_checked_rows(admin_client):
    convention = ConventionFactory()
    url = reverse("admin:conventions_convention_changelist")
    page = admin_client.get(url).content.decode()
    assert f'name="_selected_action" value="{convention.pk}" class="action-select"' in page
    response = admin_client.post(
        url, {"action": "revoke_link", "_selected_action": [convention.pk]}, follow=True
    )
    assert "0 lien révoqué." in response.content.decode()


@pytest.mark.parametrize(
    "params", [{}, {"q": "commune"}, {"q": "commune", "statut": "brouillon", "o": "-2"}]
)
def test_row_links_keep_the_lists_filters_as_django_does(admin_client, monkeypatch, params):
    for name in ["Rodez", "Albi"]:
        ConventionFactory(commune=CommuneFactory(name=name))
    url = reverse("admin:conventions_convention_changelist")

    def row_links():
        content = admin_client.get(url, params).content.decode()
        return re.findall(r'href="(/admin/conventions/convention/\d+/change/[^"]*)"', content)

    ours = row_links()
    assert len(ours) == 2
    if params:
        assert all("?_changelist_filters=" in link for link in ours)
    model_admin = admin.site._registry[Convention]
    monkeypatch.setattr(model_admin, "get_changelist", lambda request, **kwargs: ChangeList)
    assert row_links() == ours
