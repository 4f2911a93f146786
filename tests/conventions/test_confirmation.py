"""The mairie confirms its schools through the draft's private link (issue 15)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from conventions import confirmations
from conventions.models import Convention, MissingSchoolReport, SchoolConfirmation
from schools.enums import SchoolStatus
from schools.models import School
from tests.factories import SchoolFactory
from tests.portal_helpers import mark_issued

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

LINK_RE = re.compile(r"https?://\S+/convention/([A-Za-z0-9_-]{43})/")
NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def ceret(seed_data, settings):
    settings.STAFF_NOTIFICATION_EMAILS = ["ent-ecole@rectorat.example"]
    convention = Convention.objects.get(
        commune__insee_code="66049", school_year__label="2026-2027"
    )
    confirmations.send_for_confirmation(convention)
    token = LINK_RE.search(mail.outbox[-1].body).group(1)
    return convention, token


def confirm_url(token):
    return reverse("conventions:confirm", args=[token])


def answer(convention, **overrides):
    data = {
        "ecoles": [str(pk) for pk in convention.enrollments.values_list("school", flat=True)],
        "representative_name": "Michel COSTE",
        "representative_title": "MAIRE",
        "emails": "ent-ecole@mairie-ceret.example",
        "confirmed_by": "Anne Martin",
        "version": "0",
    }
    data.update(overrides)
    return data


def school(uai):
    return School.objects.get(uai=uai)


def test_the_email_brings_the_drafts_link_which_opens_the_confirmation(client, ceret):
    _convention, token = ceret
    message = mail.outbox[-1]
    assert message.to == ["ent-ecole@mairie-ceret.example"]
    assert "écoles à confirmer" in message.subject
    assert "Céret" in message.subject
    response = client.get(reverse("conventions:portal", args=[token]))
    assert response.status_code == 302
    assert response["Location"] == confirm_url(token)

    response = client.get(confirm_url(token))
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count('type="checkbox" name="ecoles"') == 4
    assert content.count(" checked>") == 4
    assert f"4 écoles × 41,00{NBSP}€ = 164,00{NBSP}€" in content
    assert 'value="Michel COSTE"' in content
    assert "<script src=" in content and "<script>" not in content


def test_a_new_sending_replaces_the_previous_link(client, ceret):
    convention, token = ceret
    confirmations.send_for_confirmation(convention)
    assert client.get(confirm_url(token)).status_code == 404


def test_only_a_draft_is_sent_for_confirmation(ceret):
    convention, _ = ceret
    mark_issued(convention)
    with pytest.raises(Exception, match="déjà émise"):
        confirmations.send_for_confirmation(convention)


def test_the_amount_follows_the_ticked_schools_and_ignores_others(client, ceret):
    convention, token = ceret
    ids = list(convention.enrollments.values_list("school", flat=True))
    elsewhere = SchoolFactory()
    url = reverse("conventions:confirm_amount", args=[token])
    response = client.get(url, {"ecoles": [*ids[:3], elsewhere.pk, "x"]})
    assert response.json() == {"text": f"3 écoles × 41,00{NBSP}€ = 123,00{NBSP}€"}


def test_the_mairie_confirms_and_what_it_typed_is_recorded(client, ceret):
    convention, token = ceret
    dropped = school("0660181N")
    kept = [
        pk for pk in convention.enrollments.values_list("school", flat=True) if pk != dropped.pk
    ]
    response = client.post(
        confirm_url(token),
        answer(
            convention,
            ecoles=[str(pk) for pk in kept],
            representative_name="Marie DURAND",
            representative_title="MAIRESSE",
            emails="ent@mairie-ceret.example; dgs@mairie-ceret.example",
        ),
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    confirmation = SchoolConfirmation.objects.get()
    assert confirmation.confirmed_by == "Anne Martin"
    assert confirmation.ip_address == "203.0.113.7"
    assert set(confirmation.schools.values_list("pk", flat=True)) == set(kept)
    assert confirmation.changes["removed"] == [dropped.convention_label()]
    assert confirmation.changes["representative_name"] == ["Michel COSTE", "Marie DURAND"]
    assert confirmation.changes["emails"][1] == [
        "ent@mairie-ceret.example",
        "dgs@mairie-ceret.example",
    ]
    # Nothing changes in the draft until staff accept.
    assert convention.enrollments.count() == 4
    convention.collectivite.refresh_from_db()
    assert convention.collectivite.representative_name == "Michel COSTE"

    # Coming back: its answer is ticked, and it may change it.
    content = client.get(response["Location"]).content.decode()
    assert "votre réponse a été enregistrée" in content
    assert content.count(" checked>") == 3
    assert 'value="Marie DURAND"' in content
    assert f"3 écoles × 41,00{NBSP}€ = 123,00{NBSP}€" in content
    response = client.post(confirm_url(token), answer(convention, version=str(confirmation.pk)))
    assert response.status_code == 302
    assert SchoolConfirmation.objects.count() == 2


def refused(client, token, data, status, message):
    response = client.post(confirm_url(token), data)
    assert response.status_code == status
    assert message in response.content.decode()
    assert SchoolConfirmation.objects.count() == 0


def test_another_conventions_school_is_refused(client, ceret):
    convention, token = ceret
    rodez = Convention.objects.get(commune__insee_code="12202")
    foreign = rodez.enrollments.first().school
    refused(
        client,
        token,
        answer(convention, ecoles=[str(foreign.pk)]),
        400,
        "n&#x27;est pas proposée pour la convention de Céret",
    )


def test_a_closed_school_is_refused(client, ceret):
    convention, token = ceret
    closed = SchoolFactory(commune=convention.commune, status=SchoolStatus.FERME)
    refused(client, token, answer(convention, ecoles=[str(closed.pk)]), 400, "est fermée")


def test_no_school_and_missing_name_are_refused_with_a_summary(client, ceret):
    convention, token = ceret
    response = client.post(confirm_url(token), answer(convention, ecoles=[], confirmed_by=""))
    content = response.content.decode()
    assert response.status_code == 400
    assert "2 erreurs à corriger" in content
    assert 'href="#ecoles-liste"' in content and 'href="#id_confirmed_by"' in content
    assert SchoolConfirmation.objects.count() == 0


def test_an_answer_posted_twice_from_the_same_page_is_refused_the_second_time(client, ceret):
    # Two submissions of one page (two tabs, a double click): the row lock orders them and
    # the second one finds the first recorded since its page was shown.
    convention, token = ceret
    assert client.post(confirm_url(token), answer(convention)).status_code == 302
    refused_response = client.post(confirm_url(token), answer(convention, confirmed_by="Autre"))
    assert refused_response.status_code == 409
    assert "Une autre réponse a été enregistrée" in refused_response.content.decode()
    assert list(SchoolConfirmation.objects.values_list("confirmed_by", flat=True)) == [
        "Anne Martin"
    ]


def test_after_issuing_an_answer_is_refused_and_nothing_changes(client, ceret):
    convention, token = ceret
    mark_issued(convention)
    response = client.post(confirm_url(token), answer(convention))
    assert response.status_code == 409
    assert "déjà émise" in response.content.decode()
    assert SchoolConfirmation.objects.count() == 0
    # The link now opens the issued convention.
    assert client.get(confirm_url(token))["Location"] == reverse(
        "conventions:portal", args=[token]
    )


def test_a_missing_school_reaches_staff_stored_and_shown_escaped(client, ceret):
    _convention, token = ceret
    url = reverse("conventions:report_missing_school", args=[token])
    mail.outbox.clear()
    text = "École du <b>Mas</b> <script>alert(1)</script>, chemin du Mas"
    response = client.post(url, {"text": text})
    assert response.status_code == 302
    assert MissingSchoolReport.objects.get().text == text
    assert mail.outbox[-1].to == ["ent-ecole@rectorat.example"]
    assert text in mail.outbox[-1].body
    assert School.objects.filter(name__contains="Mas").count() == 0
    content = client.get(response["Location"]).content.decode()
    assert "votre signalement a été transmis" in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert" not in content


def test_missing_school_reports_are_capped_per_convention_and_day(client, ceret):
    _, token = ceret
    url = reverse("conventions:report_missing_school", args=[token])
    for n in range(confirmations.MISSING_SCHOOL_REPORTS_PER_DAY):
        assert client.post(url, {"text": f"école {n}"}).status_code == 302
    response = client.post(url, {"text": "une de trop"})
    assert response.status_code == 400
    assert "Vous avez déjà signalé 5 écoles manquantes aujourd" in response.content.decode()
    assert MissingSchoolReport.objects.count() == confirmations.MISSING_SCHOOL_REPORTS_PER_DAY


def test_the_pages_are_rate_limited_like_the_portal(client, ceret, settings):
    _, token = ceret
    settings.PORTAL_RATE_LIMIT = 2
    assert client.get(confirm_url(token)).status_code == 200
    assert client.get(confirm_url(token)).status_code == 200
    assert client.get(confirm_url(token)).status_code == 429


def test_every_page_of_the_convention_shows_the_academies_contact(client, ceret):
    convention, token = ceret
    academie = convention.academie
    academie.contact_address = "Rectorat de Montpellier\n31 rue de l'Université"
    academie.contact_email = "ent-ecole@ac-montpellier.example"
    academie.contact_phone = "04 67 91 47 00"
    academie.save()
    content = client.get(confirm_url(token)).content.decode()
    for text in (
        "31 rue de l&#x27;Université",
        "ent-ecole@ac-montpellier.example",
        "04 67 91 47 00",
    ):
        assert text in content
    mark_issued(convention)
    content = client.get(reverse("conventions:portal", args=[token])).content.decode()
    assert "ent-ecole@ac-montpellier.example" in content
    assert 'href="tel:0467914700"' in content


def test_a_school_with_a_large_id_is_posted_as_a_plain_number(client, ceret):
    # French formatting writes 12345 as "12 345": a checkbox's value must not be localized.
    convention, token = ceret
    big = SchoolFactory(pk=12345, commune=convention.commune)
    content = client.get(confirm_url(token)).content.decode()
    assert 'value="12345" id="ecole-12345"' in content
    response = client.post(confirm_url(token), answer(convention, ecoles=["12345"]))
    assert response.status_code == 302
    assert list(SchoolConfirmation.objects.get().schools.all()) == [big]


def test_the_offered_schools_are_the_communes_and_those_the_draft_enrolls(client, ceret):
    convention, token = ceret
    own = SchoolFactory(commune=convention.commune, name="Ecole des Aspres")
    elsewhere = SchoolFactory(name="Ecole du Conflent")
    enrolled_elsewhere = SchoolFactory(name="Ecole du Vallespir")
    convention.enrollments.create(school=enrolled_elsewhere, school_year=convention.school_year)
    html = client.get(confirm_url(token)).content.decode()
    offered = set(map(int, re.findall(r'name="ecoles" value="(\d+)"', html)))
    assert offered == {
        *convention.enrollments.values_list("school", flat=True),
        own.pk,
    }
    assert enrolled_elsewhere.pk in offered
    assert elsewhere.pk not in offered
