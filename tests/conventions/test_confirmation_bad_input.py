"""Bad input on the confirmation POST (issue 15): refused in French, a 4xx never a 500, and
nothing changed: no answer recorded, the draft's schools and its collectivité as they were."""

import pytest
from django.core import mail
from django.urls import reverse

from conventions import confirmations
from conventions.models import Convention, SchoolConfirmation
from schools.enums import SchoolStatus
from tests.conventions.test_confirmation import LINK_RE, answer, confirm_url
from tests.factories import SchoolFactory
from tests.portal_helpers import mark_issued

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

# Past a 64-bit integer: a database id column cannot hold it.
HUGE = "99999999999999999999"


@pytest.fixture
def ceret(seed_data):
    convention = Convention.objects.get(
        commune__insee_code="66049", school_year__label="2026-2027"
    )
    confirmations.send_for_confirmation(convention)
    return convention, LINK_RE.search(mail.outbox[-1].body).group(1)


def state(convention):
    collectivite = convention.collectivite
    collectivite.refresh_from_db()
    return (
        sorted(convention.enrollments.values_list("school", flat=True)),
        collectivite.representative_name,
        collectivite.representative_title,
        collectivite.emails,
        Convention.objects.get(pk=convention.pk).status,
    )


def refused(client, convention, token, data, message, status=400):
    before = state(convention)
    response = client.post(confirm_url(token), data)
    assert response.status_code == status
    assert message in response.content.decode()
    assert SchoolConfirmation.objects.count() == 0
    assert state(convention) == before
    return response


@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, "9223372036854775808", "-1", "0"])
def test_an_id_no_column_can_hold_is_refused(client, ceret, value):
    convention, token = ceret
    ecoles = [*answer(convention)["ecoles"], value]
    refused(
        client,
        convention,
        token,
        answer(convention, ecoles=ecoles, representative_name="Autre NOM"),
        "n&#x27;est pas proposée pour la convention de Céret (inconnue)",
    )


def test_a_school_id_that_is_not_a_number_is_refused(client, ceret):
    convention, token = ceret
    refused(
        client,
        convention,
        token,
        answer(convention, ecoles=["12a"]),
        "Écoles inscrites : Sélectionnez un choix valide.",
    )


def test_a_huge_version_is_refused_as_a_stale_page(client, ceret):
    convention, token = ceret
    refused(
        client,
        convention,
        token,
        answer(convention, version=HUGE),
        "Une autre réponse a été enregistrée",
        status=409,
    )


def test_the_amount_ignores_huge_ids(client, ceret):
    _convention, token = ceret
    url = reverse("conventions:confirm_amount", args=[token])
    response = client.get(url, {"ecoles": [HUGE, "-" + HUGE]})
    assert response.status_code == 200
    assert response.json()["text"].startswith("0 école")


def test_another_conventions_school_among_its_own_is_refused(client, ceret):
    convention, token = ceret
    foreign = Convention.objects.get(commune__insee_code="12202").enrollments.first().school
    ecoles = [*answer(convention)["ecoles"], str(foreign.pk)]
    refused(
        client,
        convention,
        token,
        answer(convention, ecoles=ecoles, representative_title="PRÉSIDENT"),
        "n&#x27;est pas proposée pour la convention de Céret",
    )


def test_a_closed_school_of_its_commune_is_refused(client, ceret):
    convention, token = ceret
    closed = SchoolFactory(
        commune=convention.commune, status=SchoolStatus.FERME, name="Ecole fermée du Pont"
    )
    ecoles = [*answer(convention)["ecoles"], str(closed.pk)]
    refused(
        client,
        convention,
        token,
        answer(convention, ecoles=ecoles, emails="autre@ceret.example"),
        "L&#x27;école Ecole fermée du Pont",
    )


def test_an_answer_after_issuing_is_refused(client, ceret):
    convention, token = ceret
    page = client.get(confirm_url(token))
    assert page.status_code == 200
    mark_issued(convention)
    refused(
        client,
        convention,
        token,
        answer(convention, representative_name="Autre NOM"),
        "est déjà émise : la liste des écoles ne peut plus être modifiée",
        status=409,
    )
