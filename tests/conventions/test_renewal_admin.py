"""The campaign from the admin: "Préparer la campagne 2027-2028…" on a school year, and who
may use it (README, "Rôles et permissions")."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from communes.models import Academie
from conventions.models import Convention, ConventionTemplate, SchoolYear, Signatory, Tariff
from tests.roles import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def before_rentree(monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2027, 5, 1)
    )


@pytest.fixture
def demo(seed_data):
    call_command("loaddata", "convention_templates", verbosity=0)
    return SchoolYear.objects.get(label="2026-2027")


def page_url(year):
    return reverse("admin:conventions_schoolyear_renewal", args=[year.pk])


def logged_in(client, role):
    client.force_login(make_user(role))
    return client


@pytest.mark.parametrize("role", ["superuser", "gestion"])
def test_staff_who_add_conventions_see_the_button_and_renew(client, demo, role):
    logged_in(client, role)
    change = client.get(reverse("admin:conventions_schoolyear_change", args=[demo.pk]))
    assert "Préparer la campagne 2027-2028…" in change.text

    preview = client.get(page_url(demo))
    assert preview.status_code == 200
    assert "Il manque : l&#x27;année scolaire 2027-2028" in preview.text

    copied = client.post(page_url(demo), {"copy": "1"}, follow=True)
    year = SchoolYear.objects.get(label="2027-2028")
    montpellier = Academie.objects.get(code="11")
    assert year.end_date == datetime.date(2028, 9, 5)
    assert Signatory.objects.get(school_year=year, academie=montpellier).name == (
        "Carole Drucker-Godard"
    )
    text = ConventionTemplate.objects.get(school_year=year)
    assert text.name == "Convention ENT-École 2027-2028 – académie de Montpellier"
    # The tariff is never guessed: the page links to its form instead.
    assert not Tariff.objects.filter(school_year=year).exists()
    assert "Ajouter le tarif 2027-2028 de l&#x27;académie de Montpellier" in copied.text
    assert 'name="confirm"' not in copied.text

    Tariff.objects.create(school_year=year, academie=montpellier, rate=Decimal("43.00"))
    preview = client.get(page_url(demo))
    assert "Céret (66049)" in preview.text
    assert "172,00\xa0€" in preview.text
    assert not Convention.objects.filter(school_year=year).exists()

    report = client.post(page_url(demo), {"confirm": "1"})
    assert "Campagne 2027-2028 préparée : 1 convention créée en brouillon" in report.text
    renewed = Convention.objects.get(school_year=year)
    assert renewed.schools.count() == 4

    again = client.post(page_url(demo), {"confirm": "1"})
    assert "Aucune convention créée pour 2027-2028 : rien n'a été écrit." in again.text
    assert "a déjà une convention pour 2027-2028" in again.text
    assert Convention.objects.filter(school_year=year).count() == 1


def test_comptabilite_is_refused_and_nothing_is_written(client, demo):
    logged_in(client, "comptabilite")
    assert client.get(page_url(demo)).status_code == 403
    assert client.post(page_url(demo), {"copy": "1"}).status_code == 403
    assert client.post(page_url(demo), {"confirm": "1"}).status_code == 403
    assert not SchoolYear.objects.filter(label="2027-2028").exists()


def test_the_button_is_absent_without_the_add_permission(client, demo):
    from django.contrib.auth.models import Permission

    user = make_user("gestion")
    user.groups.clear()
    user.user_permissions.add(
        Permission.objects.get(codename="view_schoolyear"),
        Permission.objects.get(codename="change_schoolyear"),
    )
    client.force_login(user)
    change = client.get(reverse("admin:conventions_schoolyear_change", args=[demo.pk]))
    assert change.status_code == 200
    assert "Préparer la campagne" not in change.text
    assert client.get(page_url(demo)).status_code == 403


def test_a_year_under_way_is_refused_on_the_page(client, demo):
    logged_in(client, "gestion")
    year_2025 = SchoolYear.objects.get(label="2025-2026")
    response = client.get(page_url(year_2025))
    assert "L&#x27;année scolaire 2026-2027 a déjà commencé" in response.text
    assert 'name="confirm"' not in response.text


def test_nothing_is_copied_for_a_year_under_way(client, demo):
    logged_in(client, "gestion")
    year_2025 = SchoolYear.objects.get(label="2025-2026")
    response = client.post(page_url(year_2025), {"copy": "1"}, follow=True)
    assert "L&#x27;année scolaire 2026-2027 a déjà commencé" in response.text
    assert "Rien à copier" not in response.text


def test_an_academies_agent_renews_his_academies_conventions_only(client, demo):
    client.force_login(make_user("gestion", username="agent-toulouse", academie="16"))
    client.post(page_url(demo), {"copy": "1"})
    year = SchoolYear.objects.get(label="2027-2028")
    montpellier = Academie.objects.get(code="11")
    # Nothing of Montpellier's copied, planned or created by a Toulouse agent.
    assert not Signatory.objects.filter(school_year=year, academie=montpellier).exists()
    Tariff.objects.create(school_year=year, academie=montpellier, rate=Decimal("43.00"))
    assert "Céret (66049)" not in client.get(page_url(demo)).text
    client.post(page_url(demo), {"confirm": "1"})
    assert not Convention.objects.filter(school_year=year, academie=montpellier).exists()

    client.force_login(make_user("gestion", username="agent-montpellier", academie="11"))
    client.post(page_url(demo), {"copy": "1"})
    assert "Céret (66049)" in client.get(page_url(demo)).text
    client.post(page_url(demo), {"confirm": "1"})
    assert Convention.objects.get(school_year=year).academie == montpellier


def test_staff_without_a_scope_may_not_prepare_a_campaign(client, demo, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("sans-perimetre", is_staff=True)
    user.groups.add(Group.objects.get(name="Gestion des conventions"))
    client.force_login(user)
    assert client.get(page_url(demo)).status_code in (403, 404)
    assert not SchoolYear.objects.filter(label="2027-2028").exists()


def test_the_report_links_to_the_new_years_conventions_whatever_its_id(client, demo):
    # A year id past 999 was printed "1 234" in the link, which the list then refused.
    year = SchoolYear.objects.create(
        pk=1234, label="2027-2028", end_date=datetime.date(2028, 9, 5)
    )
    logged_in(client, "gestion")
    client.post(page_url(demo), {"copy": "1"})
    Tariff.objects.create(
        school_year=year, academie=Academie.objects.get(code="11"), rate=Decimal("43.00")
    )
    report = client.post(page_url(demo), {"confirm": "1"})
    assert '?school_year__id__exact=1234"' in report.text
