"""A titre paid in part is "partiellement payé" with what is left to pay, on the dashboard's
figures as on the titre; further payments add up until it is paid in full."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from conventions import billing, dashboard
from conventions.enums import TitreStatus
from tests.factories import ConventionFactory, TariffFactory, enroll
from tests.titres_helpers import sign

pytestmark = pytest.mark.django_db


def titre_of_123():
    convention = ConventionFactory()
    TariffFactory(school_year=convention.school_year, academie=convention.academie)
    enroll(convention, 3)
    return billing.issue_titre(sign(convention), on=date(2026, 11, 2)), convention


def test_a_partial_payment_leaves_the_rest_due():
    titre, convention = titre_of_123()
    assert titre.amount == Decimal("123.00")

    billing.mark_paid(titre, paid_on=date(2026, 12, 1), amount=Decimal("100.00"))

    titre.refresh_from_db()
    assert titre.status == TitreStatus.PARTIEL
    assert titre.get_status_display() == "partiellement payé"
    assert titre.amount_paid == Decimal("100.00")
    assert titre.remaining == Decimal("23.00")
    figures = dashboard.campaign(convention.school_year).total
    assert (figures.invoiced, figures.paid, figures.due) == (
        Decimal("123.00"),
        Decimal("100.00"),
        Decimal("23.00"),
    )
    assert all(isinstance(v, Decimal) for v in (figures.paid, figures.due))


def test_the_rest_paid_later_settles_the_titre():
    titre, convention = titre_of_123()
    billing.mark_paid(titre, paid_on=date(2026, 12, 1), amount=Decimal("100.00"))
    # Left empty, the amount is what remains due.
    billing.mark_paid(titre, paid_on=date(2026, 12, 20))

    titre.refresh_from_db()
    assert (titre.status, titre.amount_paid, titre.paid_on, titre.remaining) == (
        TitreStatus.PAYE,
        Decimal("123.00"),
        date(2026, 12, 20),
        Decimal("0.00"),
    )
    figures = dashboard.campaign(convention.school_year).total
    assert (figures.paid, figures.due, figures.due_count) == (
        Decimal("123.00"),
        Decimal("0.00"),
        0,
    )


def test_a_paid_titre_takes_no_further_payment():
    titre, _ = titre_of_123()
    billing.mark_paid(titre, paid_on=date(2026, 12, 1))
    with pytest.raises(ValidationError) as error:
        billing.mark_paid(titre, paid_on=date(2026, 12, 2), amount=Decimal("1.00"))
    assert "« payé »" in error.value.messages[0]
