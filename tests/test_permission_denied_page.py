"""A refusal inside the admin is the admin's own page (its header, breadcrumbs, a way back), in
French and still a 403; outside the admin, the public site's page."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse

from entconv.error_views import permission_denied
from tests.factories import ConventionFactory
from tests.roles import make_user

pytestmark = pytest.mark.django_db


def test_a_refusal_in_the_admin_keeps_the_admin_layout(client):
    client.force_login(make_user("comptabilite"))
    convention = ConventionFactory()
    response = client.get(reverse("admin:conventions_convention_issue", args=[convention.pk]))

    assert response.status_code == 403
    assert response.templates[0].name == "admin/403.html"
    page = response.content.decode()
    assert '<html lang="fr-fr"' in page
    assert "<title>Accès refusé | ENT-École — conventions</title>" in page
    assert '<div id="site-name">' in page
    assert '<ol class="breadcrumbs">' in page
    assert "<h1>Accès refusé</h1>" in page
    assert "Votre compte n'a pas le droit de faire cette action" in page
    index = reverse("admin:index")
    assert f'<a href="{index}">Retour à l\'administration</a>' in page
    assert "fr-btn" not in page  # the public site's (DSFR) buttons


def test_a_posted_action_the_user_may_not_run_keeps_the_admin_layout(client):
    client.force_login(make_user("comptabilite"))
    convention = ConventionFactory()
    response = client.post(
        reverse("admin:conventions_convention_changelist"),
        {"action": "issue_in_background", "_selected_action": [convention.pk]},
    )
    assert response.status_code == 403
    assert response.templates[0].name == "admin/403.html"


def test_outside_the_admin_the_public_page_stays():
    request = RequestFactory().get("/convention/")
    request.user = make_user("gestion")
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    page = response.content.decode()
    assert "fr-btn" in page
    assert 'id="site-name"' not in page


def test_an_expired_admin_form_keeps_the_admin_layout():
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("gestion"))
    convention = ConventionFactory()
    url = reverse("admin:conventions_convention_change", args=[convention.pk])

    response = client.post(url, {"document_date": "01/06/2026"})  # no CSRF token

    assert response.status_code == 403
    assert response.templates[0].name == "admin/403_csrf.html"
    page = response.content.decode()
    assert "<title>Le formulaire a expiré | ENT-École — conventions</title>" in page
    assert '<div id="site-name">' in page
    assert "Votre envoi n'a pas été pris en compte : rien n'a été enregistré." in page
    assert f'<a href="{reverse("admin:index")}">Retour à l\'administration</a>' in page


def test_an_expired_public_form_keeps_the_public_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("conventions:report_error"), {})
    assert response.status_code == 403
    assert response.templates[0].name == "403_csrf.html"
