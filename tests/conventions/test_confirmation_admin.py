"""Staff read the mairie's answer beside the draft and accept it (issue 15)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conventions import confirmations
from conventions.enums import ConventionStatus
from conventions.models import Convention, Titre
from schools.models import School
from tests import permissions_helpers as h
from tests.factories import SchoolFactory
from tests.portal_helpers import mark_issued
from tests.roles import make_user
from tests.test_permissions_confirmation import answered_ceret
from tests.titres_helpers import sign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]


def test_the_page_lists_the_differences_and_accepting_applies_them(seed_data, client):
    confirmation = answered_ceret()
    convention = confirmation.convention
    dropped = convention.enrollments.exclude(school__in=confirmation.schools.all()).get().school
    client.force_login(make_user("gestion"))
    url = reverse("admin:conventions_convention_change", args=[convention.pk])
    page = client.get(url).text
    assert "<caption>Différences avec le brouillon</caption>" in page
    assert f"<td>école retirée</td><td>{dropped.convention_label()}</td>" in page
    assert "<td>représentant</td><td>Michel COSTE</td><td>Marie DURAND</td>" in page
    assert "adresse IP 203.0.113.7" in page

    confirmations.accept_confirmation(confirmation, None)
    page = client.get(url).text
    assert "Le brouillon correspond à la réponse de la mairie." in page
    assert "Accepter les modifications" not in page
    assert convention.fee.school_count == 3


def test_accepting_is_refused_once_issued_or_when_a_newer_answer_came(seed_data):
    confirmation = answered_ceret()
    convention = confirmation.convention
    newer = confirmations.record_confirmation(
        convention,
        school_ids=list(confirmation.schools.values_list("pk", flat=True)),
        representative_name="Marie DURAND",
        representative_title="MAIRESSE",
        emails="ent-ecole@mairie-ceret.example",
        confirmed_by="Anne Martin",
        ip_address=None,
        seen_confirmation_id=confirmation.pk,
    )
    with pytest.raises(ValidationError, match="réponse plus récente"):
        confirmations.accept_confirmation(confirmation, None)
    mark_issued(Convention.objects.get(pk=convention.pk))
    with pytest.raises(ValidationError, match="déjà émise"):
        confirmations.accept_confirmation(newer, None)
    assert convention.enrollments.count() == 4


def test_a_school_enrolled_elsewhere_since_the_answer_is_not_accepted(seed_data):
    confirmation = answered_ceret()
    convention = confirmation.convention
    extra = SchoolFactory(commune=convention.commune)
    newer = confirmations.record_confirmation(
        convention,
        school_ids=[extra.pk],
        representative_name="Marie DURAND",
        representative_title="MAIRE",
        emails="ent-ecole@mairie-ceret.example",
        confirmed_by="Anne Martin",
        ip_address=None,
        seen_confirmation_id=confirmation.pk,
    )
    School.objects.filter(pk=extra.pk).update(status="ferme")
    with pytest.raises(ValidationError, match="fermée"):
        confirmations.accept_confirmation(newer, None)
    assert convention.enrollments.count() == 4


def test_the_bulk_action_names_what_it_refused(seed_data):
    draft = h.ceret()
    issued = mark_issued(h.rodez())
    client = h.role_client("gestion")
    url = reverse("admin:conventions_convention_changelist")
    response = h.post_with_token(
        client,
        url,
        url,
        {
            "action": "send_for_confirmation",
            "_selected_action": [draft.pk, issued.pk],
            "index": "0",
        },
    )
    page = client.get(response["Location"]).text
    assert "1 demande de confirmation envoyée." in page
    assert (
        f"{issued.reference} est émise : seul un brouillon est envoyé pour confirmation." in page
    )


def test_once_invoiced_the_portal_shows_the_titre(seed_data, client):
    from conventions import billing

    convention = h.ceret()
    token = confirmations.send_for_confirmation(convention).rstrip("/").rsplit("/", 1)[1]
    sign(convention)
    billing.issue_titre(convention, on=datetime.date(2026, 12, 1))
    convention.refresh_from_db()
    assert convention.status == ConventionStatus.FACTUREE
    titre = Titre.objects.get(convention=convention)
    url = reverse("conventions:portal", args=[token])
    page = client.get(url).content.decode()
    assert "Titre de perception" in page
    assert f"<dd>{titre.number}</dd>" in page
    assert "<dd>1er décembre 2026</dd>" in page
    assert "<dd>émis</dd>" in page
    billing.mark_paid(titre, paid_on=datetime.date(2026, 12, 2))
    page = client.get(url).content.decode()
    assert "<dd>payé le 2 décembre 2026</dd>" in page
