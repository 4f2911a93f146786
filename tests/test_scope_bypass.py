"""Crafted requests of an agent of Toulouse against Montpellier's objects: forged POSTs,
another académie's rows in an inline, a form or an action, exports, background issuing.
Each is refused and nothing changes."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from communes.models import Collectivite
from communes.scope import scope_for
from conventions.models import Convention, ConventionTemplate, Enrollment, IssuingBatch
from tests.roles import make_user
from tests.scope_helpers import load_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return load_world()


def agent(role="gestion", academie="16"):
    username = f"{role}-{academie}"
    user = User.objects.filter(username=username).first()
    client = Client()
    client.force_login(user or make_user(role, username, academie=academie))
    return client


def test_scope_for_names_the_academies_a_user_sees(world):
    toulouse = world["16"]["academie"]
    assert scope_for(make_user("gestion", "t", academie="16")) == {toulouse.pk}
    assert scope_for(make_user("gestion", "r")) is None
    assert scope_for(make_user("superuser", "s")) is None


def test_a_staff_member_without_a_scope_sees_no_convention(world, django_user_model):
    user = make_user("gestion")
    user.agent_scope.delete()
    client = Client()
    client.force_login(django_user_model.objects.get(pk=user.pk))
    response = client.get(reverse("admin:conventions_convention_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_an_action_naming_another_academies_row_is_refused_and_changes_nothing(world):
    own, other = world["16"]["draft"], world["11"]["draft"]
    response = agent().post(
        reverse("admin:conventions_convention_changelist"),
        {"action": "delete_selected", "_selected_action": [own.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 404
    assert Convention.objects.filter(pk__in=[own.pk, other.pk]).count() == 2


def test_a_forged_enrollment_of_another_academies_school_is_refused(world):
    draft = world["16"]["draft"]
    foreign_school = world["11"]["school"]
    url = reverse("admin:conventions_convention_change", args=[draft.pk])
    client = agent()
    page = client.get(url)
    form = page.context["adminform"].form
    data = {
        name: (value.pk if hasattr(value, "pk") else value)
        for name, value in form.initial.items()
        if value is not None and name in form.fields
    }
    enrollments = list(draft.enrollments.all())
    prefix = "enrollments"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": len(enrollments) + 1,
            f"{prefix}-INITIAL_FORMS": len(enrollments),
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
            f"{prefix}-{len(enrollments)}-school": foreign_school.pk,
            f"{prefix}-{len(enrollments)}-convention": draft.pk,
        }
    )
    for index, enrollment in enumerate(enrollments):
        data[f"{prefix}-{index}-id"] = enrollment.pk
        data[f"{prefix}-{index}-school"] = enrollment.school_id
        data[f"{prefix}-{index}-convention"] = draft.pk
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.text
    assert not Enrollment.objects.filter(convention=draft, school=foreign_school).exists()


def test_a_new_convention_for_another_academies_commune_is_refused(world):
    other = world["11"]["issued"]
    before = Convention.objects.count()
    response = agent().post(
        reverse("admin:conventions_convention_add"),
        {
            "collectivite": other.collectivite_id,
            "commune": other.commune_id,
            "school_year": other.school_year_id,
            "document_date": "01/12/2026",
            "enrollments-TOTAL_FORMS": 0,
            "enrollments-INITIAL_FORMS": 0,
            "enrollments-MIN_NUM_FORMS": 0,
            "enrollments-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) >= {"collectivite", "commune"}
    assert Convention.objects.count() == before


def test_a_collectivite_cannot_be_given_another_academies_commune(world):
    own = world["16"]["collectivite"]
    foreign = world["11"]["commune"]
    url = reverse("admin:communes_collectivite_change", args=[own.pk])
    client = agent()
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data["communes"] = [foreign.pk]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "communes" in response.context["adminform"].form.errors
    assert foreign not in Collectivite.objects.get(pk=own.pk).communes.all()


def test_the_titres_export_holds_only_the_agents_academie(world):
    response = agent("comptabilite").post(
        reverse("admin:conventions_titre_export"), {"format": "0", "resource": "0"}
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert world["16"]["titre"].number in text
    assert world["11"]["titre"].number not in text


def test_background_issuing_takes_only_the_agents_drafts(world):
    own, other = world["16"]["draft"], world["11"]["draft"]
    client = agent()
    refused = client.post(
        reverse("admin:conventions_convention_changelist"),
        {"action": "issue_in_background", "_selected_action": [other.pk], "confirmed": "yes"},
    )
    assert refused.status_code == 404
    assert not IssuingBatch.objects.exists()
    client.post(
        reverse("admin:conventions_convention_changelist"),
        {"action": "issue_in_background", "_selected_action": [own.pk], "confirmed": "yes"},
    )
    batch = IssuingBatch.objects.get()
    assert batch.convention_ids == [own.pk]
    # The batch page: for the agents of its author's académie only.
    assert (
        client.get(reverse("admin:conventions_issuingbatch_change", args=[batch.pk])).status_code
        == 200
    )
    montpellier = agent(academie="11")
    page = montpellier.get(reverse("admin:conventions_issuingbatch_change", args=[batch.pk]))
    assert page.status_code == 404


def test_a_template_for_every_academie_is_read_only_for_a_scoped_agent(world):
    shared = world["16"]["template"]
    shared.academie = None
    shared.save()
    url = reverse("admin:conventions_conventiontemplate_change", args=[shared.pk])
    page = agent().get(url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert agent(academie="11").post(url, {"name": "x"}).status_code == 403
    duplicate = reverse("admin:conventions_conventiontemplate_duplicate", args=[shared.pk])
    assert agent().post(duplicate).status_code == 403
    assert ConventionTemplate.objects.get(pk=shared.pk).name != "x"
    region = make_user("gestion", "region")
    client = Client()
    client.force_login(region)
    assert client.get(url).context["has_change_permission"]


def test_imports_are_for_region_agents(world):
    for url in (
        reverse("admin:schools_school_import"),
        reverse("admin:communes_collectivite_import"),
    ):
        assert agent().get(url).status_code == 403
        region = Client()
        region.force_login(make_user("gestion", f"r{url[-9:-1]}"))
        assert region.get(url).status_code == 200


def test_the_school_years_list_offers_the_agents_academie_zip_only(world):
    page = agent().get(reverse("admin:conventions_schoolyear_changelist"))
    assert "?academie=16" in page.text
    assert "?academie=11" not in page.text
    region = Client()
    region.force_login(make_user("gestion", "region-zip"))
    assert "?academie=11" in region.get(reverse("admin:conventions_schoolyear_changelist")).text
