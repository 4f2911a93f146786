import pytest
from django.contrib import admin
from django.urls import reverse

from communes.changelists import ActionCheckboxMixin
from conventions.models import Convention
from tests.factories import CollectiviteFactory, CommuneFactory, ConventionFactory

pytestmark = pytest.mark.django_db


def test_row_checkbox_is_the_markup_django_renders():
    convention = ConventionFactory(
        commune=CommuneFactory(name="Saint-Jean-d'Aulps <&>"),
        collectivite=CollectiviteFactory(name='SIVU "Les Écoles" & Cie'),
    )
    model_admin = admin.site._registry[Convention]
    assert isinstance(model_admin, ActionCheckboxMixin)
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
    assert "0 lien(s) révoqué(s)." in response.content.decode()
