"""The convention page's own views (send the link, enroll the commune's open schools), the
fee preview's académie, and a new convention saved with its schools: allowed and refused."""

import html

import pytest
from django.urls import reverse

from conventions.models import Convention
from tests.factories import CommuneFactory, SchoolFactory
from tests.portal_helpers import issued_ceret
from tests.roles import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ceret(seed_data):
    return Convention.objects.get(commune__insee_code="66049")


def client_of(client, role):
    client.force_login(make_user(role))
    return client


@pytest.mark.parametrize("view", ["send_link", "open_schools"])
def test_the_accountants_may_not_send_links_or_enroll_schools(client, ceret, view, mailoutbox):
    client = client_of(client, "comptabilite")
    url = reverse(f"admin:conventions_convention_{view}", args=[ceret.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"school": [s.pk for s in ceret.schools.all()]}).status_code == 403
    assert mailoutbox == []


def test_staff_send_the_link_after_confirmation(client, seed_data, mailoutbox):
    convention, _token = issued_ceret()
    client = client_of(client, "gestion")
    url = reverse("admin:conventions_convention_send_link", args=[convention.pk])
    page = client.get(url).content.decode()
    assert "ent-ecole@mairie-ceret.example" in page
    assert "le lien envoyé précédemment cessera de fonctionner" in page
    assert mailoutbox == []
    response = client.post(url, follow=True)
    assert "lien envoyé à ent-ecole@mairie-ceret.example" in response.content.decode()
    assert len(mailoutbox) == 1
    convention.refresh_from_db()
    assert convention.status == "envoyee"


def test_a_draft_has_no_link_to_send(client, ceret, mailoutbox):
    client = client_of(client, "gestion")
    url = reverse("admin:conventions_convention_send_link", args=[ceret.pk])
    response = client.post(url)
    assert "Seule une convention émise" in response.content.decode()
    assert mailoutbox == []


def test_open_schools_public_ticked_private_listed_closed_and_taken_left_out(client, ceret):
    client = client_of(client, "gestion")
    private = SchoolFactory(commune=ceret.commune, sector="prive", name="Ecole privée Auto")
    public = SchoolFactory(commune=ceret.commune, name="Ecole primaire publique Neuve")
    SchoolFactory(commune=ceret.commune, name="Ecole fermée", status="ferme")
    url = reverse("admin:conventions_convention_open_schools", args=[ceret.pk])
    page = client.get(url).content.decode()
    assert f'value="{public.pk}" checked' in page
    assert f'value="{private.pk}">' in page
    assert "fermée" not in page.lower().replace("écoles ouvertes", "")
    assert ceret.enrollments.count() == 4
    # Already enrolled schools are not listed, and are not enrolled twice if posted.
    posted = [public.pk, *ceret.schools.values_list("pk", flat=True)]
    client.post(url, {"school": posted})
    assert set(ceret.schools.all()) >= {public}
    assert ceret.enrollments.count() == 5
    assert {e.school_year_id for e in ceret.enrollments.all()} == {ceret.school_year_id}


def test_an_issued_convention_enrolls_no_more_school(client, seed_data):
    convention, _token = issued_ceret()
    client = client_of(client, "gestion")
    url = reverse("admin:conventions_convention_open_schools", args=[convention.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"school": [1]}).status_code == 403
    assert convention.enrollments.count() == 4


def test_the_fee_preview_takes_the_academie_from_the_commune(admin_client, ceret):
    response = admin_client.get(
        reverse("admin:conventions_convention_fee_preview"),
        {"count": 2, "school_year": ceret.school_year_id, "commune": ceret.commune_id},
    )
    assert response.json() == {
        "text": "2 écoles × 41,00\xa0€ = 82,00\xa0€",
        "academie": ceret.academie_id,
    }


def new_convention_data(convention, schools, **changes):
    data = {
        "collectivite": convention.collectivite_id,
        "commune": convention.commune_id,
        "school_year": convention.school_year_id,
        "academie": "",
        "document_date": "02/12/2026",
        "enrollments-TOTAL_FORMS": len(schools),
        "enrollments-INITIAL_FORMS": 0,
        "enrollments-MIN_NUM_FORMS": 0,
        "enrollments-MAX_NUM_FORMS": 1000,
        **{f"enrollments-{n}-school": school.pk for n, school in enumerate(schools)},
        "_save": "Enregistrer",
        **changes,
    }
    return data


def test_a_new_convention_takes_its_academie_from_the_commune(admin_client, ceret):
    ceret.transition_to("annulee", reason="remplacée")  # frees the commune and its schools
    schools = list(ceret.schools.all())
    response = admin_client.post(
        reverse("admin:conventions_convention_add"), new_convention_data(ceret, schools)
    )
    assert response.status_code == 302
    new = Convention.objects.exclude(pk=ceret.pk).get(commune=ceret.commune)
    assert new.academie_id == ceret.academie_id
    assert new.number == 2  # after the cancelled one
    assert new.enrollments.count() == 4


def test_a_school_enrolled_elsewhere_is_a_form_error_not_a_500(admin_client, ceret):
    other = CommuneFactory(departement=ceret.commune.departement)
    taken = ceret.schools.first()
    data = new_convention_data(ceret, [taken], commune=other.pk)
    data["collectivite"] = ceret.collectivite_id
    response = admin_client.post(reverse("admin:conventions_convention_add"), data)
    assert response.status_code == 200
    assert f"L'école {taken.uai} est déjà inscrite" in html.unescape(response.content.decode())
    assert not Convention.objects.filter(commune=other).exists()
