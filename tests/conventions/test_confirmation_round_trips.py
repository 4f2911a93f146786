"""Round trips to the database of the confirmation page under load (issue 15: p95 ≤ 100 ms).

On a busy machine each statement waits for PostgreSQL's turn on a processor: the answer and
the page that follows it are counted in statements, and each saving is checked to change
nothing of what is recorded or shown."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from conventions import confirmations
from conventions.models import SchoolConfirmation
from conventions.templatetags.dates import long_date
from schools.enums import SchoolStatus
from schools.models import School
from tests.conventions.test_confirmation import answer, ceret, confirm_url  # noqa: F401
from tests.factories import SchoolFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def sql(query):
    # A prepared statement (PostgreSQL, entconv/compiled_queries.py) is logged as
    # "QUERY = '<sql>' PARAMS = …".
    return query["sql"].removeprefix("QUERY = '")


def statements(captured):
    return [sql(query).split(None, 1)[0].upper() for query in captured]


def test_an_answer_takes_five_statements_on_postgresql(
    client,
    ceret,  # noqa: F811
    django_assert_num_queries,
):
    convention, token = ceret
    client.get(confirm_url(token))
    data = answer(convention, confirmed_by="Anne <Martin>", ecoles=data_schools(convention)[1:])
    # The transaction (a savepoint inside the test's), the draft locked by its link, the
    # offered schools with the latest answer and the draft's number of schools, the answer
    # with its schools (one statement on PostgreSQL, two on SQLite), the end of the
    # transaction.
    postgresql = connection.vendor == "postgresql"
    with django_assert_num_queries(5 if postgresql else 6) as captured:
        response = client.post(confirm_url(token), data)
    assert response.status_code == 302
    writes = ["WITH"] if postgresql else ["INSERT", "INSERT"]
    assert statements(captured)[1:-1] == ["SELECT", "SELECT", *writes]
    lock = sql(captured[1])
    assert 'FROM "conventions_convention"' in lock and "ORDER BY" not in lock
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in lock
    # Recorded as the ORM would have: every field, the schools, the changes.
    recorded = SchoolConfirmation.objects.get()
    assert recorded.confirmed_by == "Anne <Martin>"
    assert recorded.representative_name == "Michel COSTE"
    assert recorded.emails == "ent-ecole@mairie-ceret.example"
    assert recorded.ip_address == "127.0.0.1"
    assert recorded.accepted_at is None and recorded.accepted_by is None
    assert abs(timezone.now() - recorded.confirmed_at).total_seconds() < 60
    assert sorted(recorded.schools.values_list("pk", flat=True)) == sorted(
        int(pk) for pk in data["ecoles"]
    )
    dropped = School.objects.get(pk=data_schools(convention)[0])
    assert recorded.changes == {"removed": [dropped.convention_label()]}


def data_schools(convention):
    return [
        str(pk)
        for pk in convention.enrollments.order_by("school__name").values_list("school", flat=True)
    ]


def test_the_page_after_an_answer_reads_two_rows_without_reports(
    client,
    ceret,  # noqa: F811
    django_assert_num_queries,
):
    convention, token = ceret
    client.get(confirm_url(token))
    dropped = convention.enrollments.order_by("school__name").first().school_id
    kept = [pk for pk in convention.enrollments.values_list("school", flat=True) if pk != dropped]
    data = answer(
        convention,
        ecoles=[str(pk) for pk in kept],
        representative_name="Marie VIDAL",
        representative_title="ADJOINTE AU MAIRE",
        emails="ecoles@ceret.example, mairie@ceret.example",
        confirmed_by="Paul <Agent>",
    )
    assert client.post(confirm_url(token), data).status_code == 302
    recorded = SchoolConfirmation.objects.get()
    # The draft with its latest answer, the offered schools with those the answer ticked.
    with django_assert_num_queries(2):
        html = client.get(confirm_url(token)).content.decode()
    assert "Vos signalements" not in html
    local = timezone.localtime(recorded.confirmed_at)
    assert f"Vous avez répondu le {long_date(local)} à {local:%H:%M} (Paul &lt;Agent&gt;)" in html
    assert html.count(" checked>") == len(kept)
    assert f'value="{dropped}" id="ecole-{dropped}">' in html
    # The form starts from the answer, not from the collectivité's record.
    assert 'value="Marie VIDAL"' in html and 'value="ADJOINTE AU MAIRE"' in html
    assert "ecoles@ceret.example, mairie@ceret.example</textarea>" in html
    assert f'name="version" value="{recorded.pk}"' in html


def test_the_page_reads_the_schools_without_their_commune(ceret):  # noqa: F811
    convention, _token = ceret
    on_page = confirmations.offered_school_list(convention, labels=False)
    labelled = confirmations.offered_school_list(convention)
    assert [school.pk for school in on_page] == [school.pk for school in labelled]
    assert not any(School.commune.is_cached(school) for school in on_page)
    assert all(School.commune.is_cached(school) for school in labelled)
    # Still there when asked for, from the database.
    assert [s.convention_label() for s in on_page] == [s.convention_label() for s in labelled]


def test_the_latest_answer_read_with_the_draft_is_the_recorded_one(client, ceret):  # noqa: F811
    convention, token = ceret
    for name in ("Paul", "Jeanne"):
        assert (
            client.post(
                confirm_url(token),
                answer(convention, confirmed_by=name, version=str(latest_pk(convention))),
            ).status_code
            == 302
        )
    recorded = SchoolConfirmation.objects.latest("pk")
    latest = confirmations.latest_confirmation(confirmations.draft_for_token(token))
    assert latest.pk == recorded.pk
    for field in ("confirmed_by", "confirmed_at", "representative_name", "emails"):
        assert getattr(latest, field) == getattr(recorded, field)
    # What the page does not read is still there, from the database.
    assert latest.ip_address == recorded.ip_address
    assert latest.changes == recorded.changes


def latest_pk(convention):
    latest = SchoolConfirmation.objects.filter(convention=convention).order_by("-pk").first()
    return latest.pk if latest else 0


def test_a_school_the_draft_enrolls_but_no_longer_offers_is_recorded_as_removed(
    client,
    ceret,  # noqa: F811
):
    convention, token = ceret
    closed = SchoolFactory(commune=convention.commune, name="Ecole fermée du Vallespir")
    convention.enrollments.create(school=closed, school_year=convention.school_year)
    closed.status = SchoolStatus.FERME
    closed.save()
    offered = [
        pk for pk in convention.enrollments.values_list("school", flat=True) if pk != closed.pk
    ]
    response = client.post(
        confirm_url(token), answer(convention, ecoles=[str(pk) for pk in offered])
    )
    assert response.status_code == 302
    assert SchoolConfirmation.objects.get().changes["removed"] == [closed.convention_label()]


def test_the_same_answer_as_the_draft_records_no_change(client, ceret):  # noqa: F811
    convention, token = ceret
    assert client.post(confirm_url(token), answer(convention)).status_code == 302
    recorded = SchoolConfirmation.objects.get()
    assert recorded.changes == {}
    assert recorded.changes == confirmations.pending_differences(recorded)
