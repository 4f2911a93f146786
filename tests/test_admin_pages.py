import pytest
from django.contrib import admin
from django.urls import reverse

from conventions.models import Convention

pytestmark = pytest.mark.django_db


def admin_models():
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", admin_models(), ids=lambda m: m._meta.label)
def test_every_changelist_add_and_change_page_answers(seed_data, admin_client, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200
    assert admin_client.get(changelist, {"q": "rodez"}).status_code == 200
    if admin.site._registry[model].has_add_permission(response.wsgi_request):
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        assert admin_client.get(add).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert admin_client.get(change).status_code == 200


def test_admin_is_in_french_and_named(admin_client):
    response = admin_client.get(reverse("admin:index"))
    content = response.content.decode()
    assert "ENT-École — conventions" in content
    assert "Collectivités" in content
    assert "Écoles" in content


def test_convention_changelist_shows_the_fee(seed_data, admin_client):
    response = admin_client.get(reverse("admin:conventions_convention_changelist"))
    content = response.content.decode()
    for amount in ["450,00", "135,00", "50,00", "164,00"]:
        assert amount in content
    assert '<span class="entconv-status entconv-status--brouillon">brouillon</span>' in content


def test_convention_page_shows_the_fee_as_a_computation(seed_data, admin_client):
    convention = Convention.objects.get(commune__insee_code="66049")
    response = admin_client.get(
        reverse("admin:conventions_convention_change", args=[convention.pk])
    )
    assert "4 écoles × 41,00\xa0€ = 164,00\xa0€" in response.content.decode()


def test_fee_preview_is_computed_by_the_server(seed_data, admin_client):
    convention = Convention.objects.get(commune__insee_code="66049")
    response = admin_client.get(
        reverse("admin:conventions_convention_fee_preview"),
        {"count": 5, "school_year": convention.school_year_id, "academie": convention.academie_id},
    )
    assert response.json()["text"] == "5 écoles × 41,00\xa0€ = 205,00\xa0€"


def test_manual_transition_and_cancellation_from_the_admin(seed_data, admin_client):
    convention = Convention.objects.get(commune__insee_code="66049")
    convention.transition_to("emise")
    url = reverse("admin:conventions_convention_transition", args=[convention.pk, "envoyee"])
    assert admin_client.get(url).status_code == 404  # never on a GET
    admin_client.post(url)
    convention.refresh_from_db()
    assert convention.status == "envoyee"
    cancel = reverse("admin:conventions_convention_cancel", args=[convention.pk])
    response = admin_client.post(cancel, {"reason": ""})
    assert "Indiquez le motif" in response.content.decode()
    admin_client.post(cancel, {"reason": "Mauvais représentant"})
    convention.refresh_from_db()
    assert (convention.status, convention.cancel_reason) == ("annulee", "Mauvais représentant")


def test_conventions_are_found_by_commune_siret_or_uai(seed_data, admin_client):
    url = reverse("admin:conventions_convention_changelist")
    for term in ["ceret", "21660049400019", "0660560A", "0660560a"]:
        content = admin_client.get(url, {"q": term}).content.decode()
        assert "Céret" in content, term
        assert "Rodez" not in content, term
