"""A queryset compiled once (entconv/compiled_queries.py) gives the rows the ORM gives, for
any values, and refuses a queryset whose SQL depends on them."""

import pytest
from django.db.models import Count, Exists, OuterRef

from entconv.compiled_queries import CompiledQuery
from schools.models import School
from tests.factories import CommuneFactory, DepartementFactory, SchoolFactory

pytestmark = pytest.mark.django_db


def schools_of(commune_pk, name):
    namesakes = School.objects.filter(commune=OuterRef("commune"), name=name)
    return (
        School.objects.filter(commune=commune_pk)
        .exclude(name=name)
        .annotate(has_namesake=Exists(namesakes), n=Count("pk"))
        .select_related("commune__departement")
        .order_by("name")
    )


def rows(schools):
    return [
        (
            school.pk,
            school.name,
            school.status,
            school.has_namesake,
            school.n,
            school.commune.name,
            school.commune.departement.name,
        )
        for school in schools
    ]


def test_the_rows_of_the_orm_for_each_value(django_assert_num_queries):
    departement = DepartementFactory()
    ceret, prades = CommuneFactory.create_batch(2, departement=departement)
    for name in ("Ecole du Tech", "Ecole des Aspres", "Ecole du Vallespir"):
        SchoolFactory(commune=ceret, name=name)
    SchoolFactory(commune=prades, name="Ecole du Conflent")
    SchoolFactory(commune=prades, name="Ecole du Tech")
    compiled = CompiledQuery(schools_of)
    for commune, name in ((ceret, "Ecole du Tech"), (prades, "Ecole du Tech"), (ceret, "X")):
        expected = rows(schools_of(commune.pk, name))
        # One query, select_related and annotations included.
        with django_assert_num_queries(1):
            got = rows(compiled(commune.pk, name))
        assert got == expected
        assert got


def test_built_and_compiled_once():
    built = []

    def build(pk):
        built.append(pk)
        return School.objects.filter(pk=pk)

    compiled = CompiledQuery(build)
    schools = SchoolFactory.create_batch(3)
    for school in schools:
        assert compiled(school.pk) == [school]
    # Two stand-in builds, to find where the values go; none afterwards.
    assert len(built) == 2
    assert school.pk not in built


def test_none_runs_through_the_orm():
    school = SchoolFactory()
    compiled = CompiledQuery(lambda pk: School.objects.filter(commune=pk))
    assert compiled(None) == []
    assert compiled(school.commune_id) == [school]


@pytest.mark.parametrize(
    "build",
    [
        # The lookup turns the value into another parameter ("%value%").
        lambda name: School.objects.filter(name__contains=name),
        # The value is not in the SQL at all.
        lambda name: School.objects.all(),
        # The SQL itself depends on the value.
        lambda name: School.objects.filter(**{"name" if " 0 " in name else "uai": name}),
    ],
)
def test_a_queryset_whose_sql_depends_on_the_values_is_refused(build):
    with pytest.raises(ValueError):
        CompiledQuery(build)("Ecole du Tech")


def test_values_other_than_int_and_str_are_refused():
    with pytest.raises(TypeError):
        CompiledQuery(lambda pks: School.objects.filter(pk__in=pks))([1, 2])


def prepared_statements(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_postgresql_plans_it_once_per_connection():
    """On PostgreSQL the compiled SQL runs as a prepared statement (parsed and planned once
    per connection); the ORM's other queries are left as they were."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements: PostgreSQL only")
    ceret = CommuneFactory()
    school = SchoolFactory(commune=ceret, name="Ecole du Tech")
    compiled = CompiledQuery(schools_of)
    for _ in range(2):
        assert rows(compiled(ceret.pk, "X")) == rows(schools_of(ceret.pk, "X"))
    statements = prepared_statements(connection)
    assert len([s for s in statements if '"schools_school"' in s]) == 1, statements
    # An ORM query after it is not prepared: the connection's cursors are as before.
    assert list(School.objects.filter(uai=school.uai)) == [school]
    assert prepared_statements(connection) == statements


def test_the_converters_are_looked_up_once_per_connection(monkeypatch):
    from django.db.models.sql.compiler import SQLCompiler

    from conventions.models import SchoolConfirmation
    from tests.factories import ConventionFactory

    convention = ConventionFactory()
    for name in ("Anne", "Paul"):
        SchoolConfirmation.objects.create(
            convention=convention,
            representative_name="Michel COSTE",
            representative_title="MAIRE",
            emails="mairie@example.org",
            confirmed_by=name,
            changes={"added": [name]},
        )
    lookups = []
    original = SQLCompiler.get_converters

    def counted(self, expressions):
        lookups.append(len(expressions))
        return original(self, expressions)

    monkeypatch.setattr(SQLCompiler, "get_converters", counted)
    compiled = CompiledQuery(
        lambda pk: SchoolConfirmation.objects.filter(convention=pk).order_by("confirmed_by")
    )
    expected = [
        (answer.confirmed_by, answer.confirmed_at, answer.changes)
        for answer in SchoolConfirmation.objects.filter(convention=convention.pk).order_by(
            "confirmed_by"
        )
    ]
    for _ in range(3):
        got = [(a.confirmed_by, a.confirmed_at, a.changes) for a in compiled(convention.pk)]
        # Converted as the ORM converts them: aware datetimes, JSON decoded.
        assert got == expected
        assert got[0][1].tzinfo is not None and got[0][2] == {"added": ["Anne"]}
    # The ORM's own query above looked them up once too.
    assert len(lookups) == 2
