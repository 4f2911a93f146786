"""The mairie's confirmation, staff side, by every role (README, "Rôles et permissions"):
sending a draft for confirmation and accepting the answer need the convention's change and
link permissions; the accountants see the answer, never the buttons."""

import pytest
from django.core import mail
from django.urls import reverse

from conventions import confirmations
from conventions.models import Convention, SchoolConfirmation
from tests import permissions_helpers as h

pytestmark = pytest.mark.django_db

S, G, C = "superuser", "gestion", "comptabilite"
CONVENTIONS = "admin:conventions_convention_changelist"


def change_url(convention):
    return reverse("admin:conventions_convention_change", args=[convention.pk])


def answered_ceret():
    """Céret's draft, sent for confirmation, and the mairie's answer: one school fewer."""
    convention = h.ceret()
    confirmations.send_for_confirmation(convention)
    kept = list(convention.enrollments.values_list("school", flat=True))[:3]
    return confirmations.record_confirmation(
        convention,
        school_ids=kept,
        representative_name="Marie DURAND",
        representative_title="MAIRE",
        emails="ent-ecole@mairie-ceret.example",
        confirmed_by="Anne Martin",
        ip_address="203.0.113.7",
        seen_confirmation_id=0,
    )


@pytest.mark.parametrize(("role", "allowed"), [(S, True), (G, True), (C, False)])
def test_send_for_confirmation_action(seed_data, role, allowed):
    convention = h.ceret()
    client = h.role_client(role)
    url = reverse(CONVENTIONS)
    mail.outbox.clear()
    response = h.post_with_token(
        client,
        url,
        url,
        {"action": "send_for_confirmation", "_selected_action": [convention.pk], "index": "0"},
    )
    convention.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert len(mail.outbox) == 1 and convention.has_access_link
    else:
        assert response.status_code == 403
        assert not mail.outbox and not convention.has_access_link


@pytest.mark.parametrize(("role", "allowed"), [(S, True), (G, True), (C, False)])
def test_send_for_confirmation_button_and_page(seed_data, role, allowed):
    convention = h.ceret()
    client = h.role_client(role)
    page = client.get(change_url(convention)).text
    url = reverse("admin:conventions_convention_send_for_confirmation", args=[convention.pk])
    assert ("Envoyer pour confirmation…" in page) == allowed
    mail.outbox.clear()
    response = h.post_with_token(client, url, url, {})
    if allowed:
        assert response.status_code == 302
        assert mail.outbox[-1].to == ["ent-ecole@mairie-ceret.example"]
    else:
        assert response.status_code == 403
        assert not mail.outbox


@pytest.mark.parametrize(("role", "allowed"), [(S, True), (G, True), (C, False)])
def test_accept_the_mairies_answer(seed_data, role, allowed):
    confirmation = answered_ceret()
    convention = confirmation.convention
    client = h.role_client(role)
    page = client.get(change_url(convention)).text
    # Everyone who sees the convention reads the answer; only editors get the button.
    assert "confirmée par <strong>Anne Martin</strong>" in page
    assert "Marie DURAND" in page
    assert ("Accepter les modifications de la mairie" in page) == allowed
    url = reverse(
        "admin:conventions_convention_accept_confirmation", args=[convention.pk, confirmation.pk]
    )
    response = h.post_with_token(client, change_url(convention), url, {})
    convention = Convention.objects.select_related("collectivite").get(pk=convention.pk)
    confirmation.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert convention.enrollments.count() == 3
        assert convention.collectivite.representative_name == "Marie DURAND"
        assert confirmation.accepted_at is not None
    else:
        assert response.status_code == 403
        assert convention.enrollments.count() == 4
        assert convention.collectivite.representative_name == "Michel COSTE"
        assert confirmation.accepted_at is None
    assert SchoolConfirmation.objects.count() == 1
