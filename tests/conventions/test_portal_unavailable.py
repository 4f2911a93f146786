"""What the mairie sees when its link no longer works or its convention was cancelled
(issue 12, item 12; issue 11, expired or revoked links)."""

import pytest
from django.urls import reverse

from conventions.enums import ConventionStatus
from conventions.issuing import cancel_and_replace
from conventions.models import Convention
from tests.portal_helpers import issued_ceret

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

REASON = "Erreur interne de saisie : tarif de Toulouse appliqué par M. Dupont"


@pytest.fixture
def ceret(seed_data):
    return issued_ceret()


def test_a_replaced_convention_says_so_and_hides_the_internal_reason(client, ceret):
    convention, token = ceret
    cancel_and_replace(convention, REASON)
    response = client.get(reverse("conventions:portal", args=[token]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Cette convention a été annulée le" in content
    assert "Une nouvelle convention vous sera envoyée" in content
    assert "Dupont" not in content
    assert "tarif de Toulouse" not in content
    assert "Télécharger la convention (PDF)" not in content
    assert 'href="convention.pdf"' not in content
    assert "Déposer la convention signée" not in content


def test_a_cancelled_convention_pdf_is_gone_with_a_french_page(client, ceret):
    convention, token = ceret
    convention.transition_to(ConventionStatus.ANNULEE, reason=REASON)
    response = client.get(reverse("conventions:portal_pdf", args=[token]))
    assert response.status_code == 410
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "Cette convention a été annulée" in content
    assert "n'est plus disponible" in content.replace("&#x27;", "'")
    assert "Dupont" not in content


def test_the_cached_page_follows_a_cancellation_then_a_replacement(client, ceret):
    convention, token = ceret
    url = reverse("conventions:portal", args=[token])
    assert "Déposer la convention signée" in client.get(url).content.decode()

    convention.transition_to(ConventionStatus.ANNULEE, reason=REASON)
    content = client.get(url).content.decode()
    assert "Cette convention a été annulée le" in content
    assert "Une nouvelle convention vous sera envoyée" not in content
    assert "Dupont" not in content

    Convention.objects.create(
        collectivite=convention.collectivite,
        commune=convention.commune,
        school_year=convention.school_year,
        academie=convention.academie,
        number=2,
        replaces=convention,
    )
    assert "Une nouvelle convention vous sera envoyée" in client.get(url).content.decode()


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_revoked_or_replaced_link_says_what_to_do_in_french(client, ceret, settings, debug):
    settings.DEBUG = debug
    settings.PORTAL_CONTACT_EMAIL = "ent-ecole@ac-montpellier.example"
    convention, token = ceret
    newer = convention.new_access_link()
    for url in (
        reverse("conventions:portal", args=[token]),
        reverse("conventions:portal_pdf", args=[token]),
    ):
        response = client.get(url)
        assert response.status_code == 404
        content = response.content.decode().replace("&#x27;", "'")
        assert "Ce lien n'est plus valable" in content
        assert "demandez un nouveau lien" in content
        assert 'href="mailto:ent-ecole@ac-montpellier.example"' in content
        assert "Django" not in content
    assert client.get(reverse("conventions:portal", args=[newer])).status_code == 200
