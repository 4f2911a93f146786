"""A billed convention whose titre is live cannot be cancelled: the mairie would still owe
the titre's amount. The titre is cancelled first (Comptabilité), then the convention."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conventions import billing
from conventions.enums import ConventionStatus
from conventions.issuing import cancel_and_replace
from conventions.models import Convention
from tests.factories import ConventionFactory, TariffFactory, enroll
from tests.roles import make_user
from tests.titres_helpers import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed():
    convention = ConventionFactory()
    TariffFactory(
        school_year=convention.school_year, academie=convention.academie, rate=Decimal("41")
    )
    enroll(convention, 2)
    sign(convention)
    titre = billing.issue_titre(convention)
    convention.refresh_from_db()
    assert convention.status == ConventionStatus.FACTUREE
    return convention, titre


def test_the_model_refuses_to_cancel_a_convention_with_a_live_titre(billed):
    convention, _titre = billed
    assert not convention.can_transition_to(ConventionStatus.ANNULEE)
    with pytest.raises(ValidationError, match="annulez d'abord le titre"):
        convention.transition_to(ConventionStatus.ANNULEE, reason="Erreur")
    with pytest.raises(ValidationError, match="annulez d'abord le titre"):
        cancel_and_replace(convention, "Erreur")
    convention.refresh_from_db()
    assert convention.status == ConventionStatus.FACTUREE
    assert not Convention.objects.filter(replaces=convention).exists()


def test_a_prepared_titre_also_blocks_the_cancellation():
    convention = ConventionFactory()
    TariffFactory(
        school_year=convention.school_year, academie=convention.academie, rate=Decimal("41")
    )
    enroll(convention, 1)
    sign(convention)
    billing.prepare_titre(convention)
    assert not convention.can_transition_to(ConventionStatus.ANNULEE)


def test_once_its_titre_is_cancelled_the_convention_may_be(billed):
    convention, titre = billed
    billing.cancel(titre, reason="Montant erroné")
    convention.refresh_from_db()
    assert convention.can_transition_to(ConventionStatus.ANNULEE)
    convention.transition_to(ConventionStatus.ANNULEE, reason="Erreur")
    assert convention.status == ConventionStatus.ANNULEE


@pytest.mark.parametrize("replace", ["", "?remplacer=1"])
def test_the_cancel_page_says_to_cancel_the_titre_first(client, billed, replace):
    convention, _titre = billed
    client.force_login(make_user("superuser"))
    change = client.get(reverse("admin:conventions_convention_change", args=[convention.pk]))
    assert "Annuler la convention…" not in change.content.decode()
    assert "Annuler et remplacer…" not in change.content.decode()
    url = reverse("admin:conventions_convention_cancel", args=[convention.pk]) + replace
    page = client.get(url).content.decode()
    assert "annulez d&#x27;abord le titre" in page or "annulez d'abord le titre" in page
    response = client.post(url, {"reason": "Erreur"})
    assert response.status_code == 200
    assert "annulez d" in response.content.decode()
    convention.refresh_from_db()
    assert convention.status == ConventionStatus.FACTUREE
