"""Every public page carries the DSFR layout: skiplinks, header with the bloc-marque, the
footer's mandatory links, and the design system's stylesheets served by the app itself."""

import re
from urllib.parse import urlparse

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse, set_script_prefix

from conventions.confirmations import send_for_confirmation
from conventions.models import Convention
from tests.portal_helpers import issued_ceret

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

FOOTER_LINKS = {
    "/accessibilite/": "Accessibilité : non conforme",
    "/mentions-legales/": "Mentions légales",
    "/donnees-personnelles/": "Données personnelles",
}


def assert_public_layout(content):
    assert '<div class="fr-skiplinks">' in content
    assert '<a class="fr-link" href="#contenu">Contenu</a>' in content
    assert '<main id="contenu"' in content
    assert '<header role="banner" class="fr-header">' in content
    assert '<p class="fr-logo">Région<br>académique<br>Occitanie</p>' in content
    assert '<p class="fr-header__service-title">Conventions ENT-École</p>' in content
    assert '<footer class="fr-footer" role="contentinfo" id="pied-de-page">' in content
    for url, text in FOOTER_LINKS.items():
        assert f'<a class="fr-footer__bottom-link" href="{url}">{text}</a>' in content
    # DSFR's core stylesheet from our own static files, never from another site.
    assert re.search(r'href="/static/dsfr/core/core\.min\.[0-9a-f]{12}\.css"', content)
    assert "https://" not in re.sub(r'<a [^>]*href="https://[^"]*"', "", content)
    assert "/static/conventions/portal." in content


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/", 200),
        ("/simulateur/", 200),
        ("/simulateur/?q=Céret", 200),
        ("/simulateur/?school_year=1990-1991", 200),
        ("/accessibilite/", 200),
        ("/mentions-legales/", 200),
        ("/donnees-personnelles/", 200),
        ("/nulle-part/", 404),
        ("/convention/" + "x" * 43 + "/", 404),
    ],
)
def test_public_pages_carry_the_dsfr_layout(client, seed_data, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert_public_layout(response.content.decode())


def test_the_private_pages_carry_the_dsfr_layout(client, seed_data):
    convention = Convention.objects.get(
        commune__insee_code="66049", school_year__label="2026-2027"
    )
    url = urlparse(send_for_confirmation(convention)).path
    confirm = client.get(url, follow=True)
    assert confirm.redirect_chain and confirm.status_code == 200
    content = confirm.content.decode()
    assert_public_layout(content)
    assert 'class="fr-checkbox-group"' in content
    assert "Étape 1 sur 5" in content

    convention, token = issued_ceret()
    page = client.get(reverse("conventions:portal", args=[token])).content.decode()
    assert_public_layout(page)
    assert 'data-fr-current-step="2" data-fr-steps="5"' in page
    assert 'class="fr-upload-group"' in page


def test_upload_errors_follow_the_dsfr_pattern(client, seed_data):
    _, token = issued_ceret()
    response = client.post(reverse("conventions:portal", args=[token]), {})
    content = response.content.decode()
    summary = content.index('class="fr-alert fr-alert--error fr-mb-4w error-summary"')
    assert summary < content.index("<h1>")
    assert 'href="#id_act_identifier"' in content
    assert 'class="fr-input-group fr-input-group--error" id="id_act_identifier-groupe"' in content
    assert 'class="fr-upload-group fr-upload-group--error"' in content
    assert re.search(r'aria-describedby="[^"]*\bid_act_identifier_error"', content)


def test_legal_pages_name_their_settings(client, settings):
    settings.LEGAL_PUBLICATION_DIRECTOR = "Mme la rectrice de région académique"
    settings.LEGAL_HOST = "Hébergeur Exemple, 1 rue de la Paix, 75002 Paris"
    settings.DPO_EMAIL = "dpo@exemple.fr"
    notice = client.get("/mentions-legales/").content.decode()
    assert "Mme la rectrice de région académique" in notice
    assert "Hébergeur Exemple, 1 rue de la Paix, 75002 Paris" in notice
    data = client.get("/donnees-personnelles/").content.decode()
    assert 'href="mailto:dpo@exemple.fr"' in data
    assert "adresse IP" in data
    statement = client.get("/accessibilite/").content.decode()
    assert "non conforme" in statement
    assert "Défenseur des droits" in statement


def test_csrf_failure_and_429_pages_are_in_dsfr(seed_data, settings):
    csrf_client = Client(enforce_csrf_checks=True)
    _, token = issued_ceret()
    response = csrf_client.post(reverse("conventions:portal", args=[token]), {})
    assert response.status_code == 403
    content = response.content.decode()
    assert "Le formulaire a expiré" in content
    assert_public_layout(content)

    settings.PORTAL_RATE_LIMIT = 0
    limited = Client().get(reverse("conventions:portal", args=[token]))
    assert limited.status_code == 429
    assert "Trop de requêtes" in limited.content.decode()
    assert_public_layout(limited.content.decode())


def test_the_500_page_renders_without_a_request():
    # Django renders 500.html with no context processor: the layout must not need one.
    content = render_to_string("500.html")
    assert "Le service rencontre un problème" in content
    assert_public_layout(content)


def test_the_layouts_static_urls_follow_the_settings(client, seed_data, settings):
    # Computed once per process (public_layout.static_url), not once for good.
    before = client.get("/").content.decode()
    assert 'href="/static/dsfr/core/core.min.' in before
    settings.STATIC_URL = "/fichiers/"
    cache.clear()  # the home page's rendering is kept (portal_cache)
    after = client.get("/").content.decode()
    assert 'href="/fichiers/dsfr/core/core.min.' in after
    assert 'href="/fichiers/conventions/portal.' in after
    assert 'href="/fichiers/dsfr/favicon/favicon.' in after
    assert "/static/" not in after


def test_the_layouts_links_follow_the_path_the_site_is_served_under(client, seed_data):
    # Computed once per process and prefix (public_layout.layout_url). gunicorn sets the
    # prefix from SCRIPT_NAME; Django's test client does not, so it is set here.
    assert 'href="/simulateur/"' in client.get("/").content.decode()
    cache.clear()  # the home page's rendering is kept (portal_cache)
    set_script_prefix("/entconv/")
    try:
        under = client.get("/").content.decode()
    finally:
        set_script_prefix("/")
        cache.clear()
    assert 'href="/entconv/simulateur/"' in under
    assert 'href="/entconv/mentions-legales/"' in under
    assert 'href="/simulateur/"' not in under
    assert 'href="/simulateur/"' in client.get("/").content.decode()
