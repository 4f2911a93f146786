import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communes.models import Collectivite, Commune
from conventions.admin.enrollment_inline import EnrolledSchoolSelect
from conventions.models import Convention, Enrollment
from schools.models import School
from tests.factories import (
    CommuneFactory,
    ConventionFactory,
    SchoolYearFactory,
    TariffFactory,
    enroll,
    valid_siret,
    valid_uai,
)

pytestmark = pytest.mark.django_db


def fill(rows, offset=0):
    """`rows` conventions of one school each, plus `rows` schools and collectivités."""
    year = SchoolYearFactory()
    seed_commune = CommuneFactory()
    TariffFactory(school_year=year, academie=seed_commune.departement.academie)
    departement = seed_commune.departement
    start = Commune.objects.count()
    communes = Commune.objects.bulk_create(
        Commune(
            insee_code=f"{40000 + start + i:05d}", name=f"Commune {i}", departement=departement
        )
        for i in range(rows)
    )
    collectivites = Collectivite.objects.bulk_create(
        Collectivite(
            name=f"COMMUNE {offset + i}",
            siret=valid_siret(500000 + offset + i),
            address="1 place de la Mairie",
            postal_code="31000",
            city=f"Commune {i}",
            representative_name="Jean DUPONT",
            representative_title="MAIRE",
        )
        for i in range(rows)
    )
    Collectivite.communes.through.objects.bulk_create(
        Collectivite.communes.through(collectivite=c, commune=m)
        for c, m in zip(collectivites, communes, strict=True)
    )
    schools = School.objects.bulk_create(
        School(uai=valid_uai(3200000 + offset + i), name=f"Ecole {i}", kind="primaire", commune=m)
        for i, m in enumerate(communes)
    )
    conventions = Convention.objects.bulk_create(
        Convention(collectivite=c, commune=m, school_year=year, academie=departement.academie)
        for c, m in zip(collectivites, communes, strict=True)
    )
    Enrollment.objects.bulk_create(
        Enrollment(convention=c, school=s, school_year=year)
        for c, s in zip(conventions, schools, strict=True)
    )
    return conventions[0]


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


PAGES = [
    ("admin:conventions_convention_changelist", False),
    ("admin:schools_school_changelist", False),
    ("admin:communes_collectivite_changelist", False),
    ("admin:communes_commune_changelist", False),
    ("admin:conventions_convention_change", True),
    ("admin:conventions_convention_add", False),
]


@pytest.mark.parametrize(("name", "needs_pk"), PAGES)
def test_query_count_does_not_grow_with_rows(admin_client, name, needs_pk):
    small = fill(10)
    url = reverse(name, args=[small.pk] if needs_pk else [])
    count_queries(admin_client, url)  # warm caches (content types, session)
    with_ten = count_queries(admin_client, url)
    fill(1000, offset=10)
    url = reverse(name, args=[small.pk] if needs_pk else [])
    with_thousand = count_queries(admin_client, url)
    assert with_thousand == with_ten, f"{name}: {with_ten} requêtes → {with_thousand}"
    assert with_thousand <= 15


def test_convention_page_query_count_does_not_grow_with_enrolled_schools(admin_client):
    convention = ConventionFactory()
    TariffFactory(school_year=convention.school_year, academie=convention.academie)
    enroll(convention, 1)
    url = reverse("admin:conventions_convention_change", args=[convention.pk])
    count_queries(admin_client, url)  # warm caches (content types, session)
    with_one = count_queries(admin_client, url)
    schools = enroll(convention, 11)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url)
    assert len(queries) == with_one, f"{with_one} requêtes → {len(queries)}"
    content = response.content.decode()
    # Every enrolled school is still shown, selected, in its autocomplete.
    for school in schools:
        assert f'<option value="{school.pk}" selected>{school}</option>' in content
    assert "12 écoles × 41,00\xa0€ = 492,00\xa0€" in content


def test_enrolled_school_widget_renders_as_djangos_autocomplete(rf, admin_user):
    convention = ConventionFactory()
    (school,) = enroll(convention, 1)
    request = rf.get("/")
    request.user = admin_user
    inline = admin.site._registry[Convention].get_inline_instances(request, convention)[0]
    widget = inline.get_formset(request, convention).form.base_fields["school"].widget.widget
    assert isinstance(widget, EnrolledSchoolSelect)
    queried = widget.render("enrollments-0-school", school.pk)
    widget.schools = {str(school.pk): school}
    with CaptureQueriesContext(connection) as queries:
        assert widget.render("enrollments-0-school", school.pk) == queried
        # The empty row of the formset (no school yet).
        djangos = super(EnrolledSchoolSelect, widget).optgroups("school", [])
        assert widget.optgroups("school", []) == djangos
    assert not queries


def test_a_scoped_agents_convention_page_keeps_the_budget():
    # The scope and its checks cost an agent two queries more than a superuser: the page's
    # other parts must leave room for them (a timeline reading answers no mairie could give
    # had taken it to 16).
    from django.test import Client

    from tests.roles import make_user
    from tests.scope_helpers import load_world

    world = load_world()
    client = Client()
    client.force_login(make_user("gestion", academie="16"))
    for convention in (world["16"]["draft"], world["16"]["issued"]):
        url = reverse("admin:conventions_convention_change", args=[convention.pk])
        client.get(url)  # warm caches (content types, session)
        count = count_queries(client, url)
        assert count <= 15, f"{convention} : {count} requêtes"
