"""The "à signer" link goes only to conventions the mairie may still sign: émise, envoyée,
or signée par la collectivité (it may replace its copy until the académie signs)."""

import html

import pytest
from django.urls import reverse

from conventions.enums import ConventionStatus
from tests import permissions_helpers as h
from tests.roles import make_user

pytestmark = pytest.mark.django_db
S = ConventionStatus


def walked_to(*steps):
    convention = h.issued_ceret()
    for step in steps:
        convention.transition_to(step, reason="motif")
    return convention


def test_the_académie_signed_convention_gets_no_link(client, seed_data, mailoutbox):
    convention = walked_to(S.SIGNEE_COLLECTIVITE, S.SIGNEE_ACADEMIE)
    client.force_login(make_user("gestion"))
    change = client.get(reverse("admin:conventions_convention_change", args=[convention.pk]))
    assert "Envoyer le lien…" not in change.content.decode()
    url = reverse("admin:conventions_convention_send_link", args=[convention.pk])
    response = client.post(url)
    assert "signée par l&#x27;académie" in response.content.decode() or response.status_code == 403
    changelist = reverse("admin:conventions_convention_changelist")
    for action in ["send_link", "regenerate_link"]:
        response = client.post(
            changelist,
            {"action": action, "_selected_action": [convention.pk], "confirmed": "yes"},
            follow=True,
        )
        page = html.unescape(response.content.decode())
        assert (
            f"{convention.reference} : Seule une convention émise, envoyée ou signée par la "
            "collectivité peut recevoir un lien privé ; celle-ci est « signée par l'académie »."
        ) in page
        assert "l'ancien ne fonctionne plus" not in page
    assert mailoutbox == []
    convention.refresh_from_db()
    assert not convention.has_access_link


def test_a_convention_signed_by_the_mairie_may_still_get_its_link(client, seed_data, mailoutbox):
    convention = walked_to(S.SIGNEE_COLLECTIVITE)
    client.force_login(make_user("gestion"))
    change = client.get(reverse("admin:conventions_convention_change", args=[convention.pk]))
    assert "Envoyer le lien…" in change.content.decode()
    url = reverse("admin:conventions_convention_send_link", args=[convention.pk])
    client.post(url)
    assert len(mailoutbox) == 1
