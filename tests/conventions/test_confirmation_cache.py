"""The confirmation page is rendered once per state of what it shows (issue 15: p95 ≤ 100 ms),
and never stale: any change to the draft, its schools, the mairie's answer, its reports,
the collectivité or the rate shows at once."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from conventions import confirmations
from conventions.models import Convention, Enrollment, Tariff
from schools.enums import SchoolStatus
from tests.conventions.test_confirmation import LINK_RE, answer, confirm_url
from tests.factories import SchoolFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ceret(seed_data):
    convention = Convention.objects.get(
        commune__insee_code="66049", school_year__label="2026-2027"
    )
    confirmations.send_for_confirmation(convention)
    return convention, LINK_RE.search(mail.outbox[-1].body).group(1)


def page(client, token):
    response = client.get(confirm_url(token))
    assert response.status_code == 200
    return response.content.decode()


def test_a_second_view_reads_two_rows_and_renders_nothing(
    client, ceret, django_assert_num_queries
):
    _convention, token = ceret
    first = page(client, token)
    # The draft (with its answer, reports and rate) and the offered schools.
    with django_assert_num_queries(2):
        second = page(client, token)
    assert CSRF_INPUT.sub("", first) == CSRF_INPUT.sub("", second)


def test_each_visitor_gets_a_working_csrf_token(ceret):
    convention, token = ceret
    Client().get(confirm_url(token))
    visitor = Client(enforce_csrf_checks=True)
    html = page(visitor, token)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = visitor.post(
        confirm_url(token), {**answer(convention), "csrfmiddlewaretoken": csrf}
    )
    assert response.status_code == 302


def change_school_name(convention):
    school = convention.enrollments.first().school
    school.name = "Ecole renommée du Tech"
    school.save()
    return "Ecole renommée du Tech"


def add_school(convention):
    SchoolFactory(commune=convention.commune, name="Ecole nouvelle des Aspres")
    return "Ecole nouvelle des Aspres"


def close_school(convention):
    school = convention.enrollments.first().school
    school.status = SchoolStatus.FERME
    school.save()
    # No longer offered: three schools left, and the amount follows.
    return "3 écoles × 41,00"


def change_representative(convention):
    collectivite = convention.collectivite
    collectivite.representative_name = "Paule NOUVELLE"
    collectivite.save()
    return 'value="Paule NOUVELLE"'


def change_rate(convention):
    Tariff.objects.filter(school_year=convention.school_year, academie=convention.academie).update(
        rate="50.00"
    )
    return "4 écoles × 50,00"


def report_missing(convention):
    confirmations.report_missing_school(convention, "Ecole des Oubliés", "192.0.2.1")
    return "Ecole des Oubliés"


def change_contact(convention):
    academie = convention.academie
    academie.contact_phone = "04 99 99 99 99"
    academie.save()
    return "04 99 99 99 99"


@pytest.mark.parametrize(
    "change",
    [
        change_school_name,
        add_school,
        close_school,
        change_representative,
        change_rate,
        report_missing,
        change_contact,
    ],
)
def test_a_change_shows_at_once(client, ceret, change):
    convention, token = ceret
    before = page(client, token)
    expected = change(convention)
    assert expected not in before
    assert expected in page(client, token)


def test_dropping_a_school_from_the_draft_unticks_it(client, ceret):
    convention, token = ceret
    assert page(client, token).count(" checked>") == 4
    Enrollment.objects.filter(convention=convention).first().delete()
    assert page(client, token).count(" checked>") == 3


def test_the_mairies_answer_shows_at_once(client, ceret):
    convention, token = ceret
    assert "Vous avez répondu" not in page(client, token)
    kept = answer(convention)["ecoles"][:3]
    response = client.post(
        confirm_url(token), answer(convention, ecoles=kept, confirmed_by="Anne Martin")
    )
    assert response.status_code == 302
    html = page(client, token)
    assert "Vous avez répondu" in html and "(Anne Martin)" in html
    assert html.count(" checked>") == 3
    followed = client.get(response["Location"]).content.decode()
    assert "Merci : votre réponse a été enregistrée" in followed
