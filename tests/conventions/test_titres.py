from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from conventions import billing
from conventions.enums import ConventionStatus, TitreStatus
from conventions.models import Titre
from tests.factories import (
    CollectiviteFactory,
    ConventionFactory,
    TariffFactory,
    enroll,
)
from tests.titres_helpers import sign

pytestmark = pytest.mark.django_db


def signed_convention(schools=4, rate="41.00", **kwargs):
    convention = ConventionFactory(**kwargs)
    TariffFactory(
        school_year=convention.school_year, academie=convention.academie, rate=Decimal(rate)
    )
    enroll(convention, schools)
    return sign(convention)


def test_issuing_numbers_snapshots_and_bills_the_convention():
    collectivite = CollectiviteFactory(
        name="COMMUNE DE CERET",
        address="Place de la Mairie",
        postal_code="66400",
        city="Céret",
        chorus_service_code="FACTURES",
        chorus_engagement_number="EJ-2026-42",
    )
    convention = signed_convention(collectivite=collectivite)

    titre = billing.issue_titre(convention, on=date(2026, 11, 23))

    assert titre.number == "TP-2026-16-000001"
    assert titre.status == TitreStatus.EMIS
    assert titre.exercice == 2026
    assert titre.issue_date == date(2026, 11, 23)
    assert titre.amount == Decimal("164.00")
    assert (titre.school_count, titre.rate) == (4, Decimal("41.00"))
    assert titre.object == "Participation ENT-École 2026-2027 – 4 écoles × 41,00\xa0€"
    assert titre.debtor_name == "COMMUNE DE CERET"
    assert titre.debtor_siret == collectivite.siret
    assert titre.debtor_address == "Place de la Mairie, 66400 Céret"
    assert (titre.debtor_service_code, titre.debtor_engagement_number) == (
        "FACTURES",
        "EJ-2026-42",
    )
    convention.refresh_from_db()
    assert convention.status == ConventionStatus.FACTUREE

    # The debtor is a snapshot: renaming the collectivité does not alter the titre.
    collectivite.name = "MAIRIE DE CERET"
    collectivite.save()
    titre.refresh_from_db()
    assert titre.debtor_name == "COMMUNE DE CERET"


def test_numbers_follow_each_other_per_academie_and_year():
    numbers = [
        billing.issue_titre(signed_convention(), on=date(2026, 12, 1)).number for _ in range(3)
    ]
    numbers.append(billing.issue_titre(signed_convention(), on=date(2027, 1, 4)).number)
    assert numbers == [
        "TP-2026-16-000001",
        "TP-2026-16-000002",
        "TP-2026-16-000003",
        "TP-2027-16-000001",
    ]


def test_only_a_convention_signed_by_both_parties_is_billed():
    convention = ConventionFactory()
    TariffFactory(school_year=convention.school_year, academie=convention.academie)
    enroll(convention, 2)
    with pytest.raises(ValidationError) as error:
        billing.issue_titre(convention)
    assert "n'est pas signée par les deux parties" in error.value.messages[0]
    assert not Titre.objects.exists()


def test_one_live_titre_per_convention():
    convention = signed_convention()
    first = billing.issue_titre(convention)
    with pytest.raises(ValidationError) as error:
        billing.issue_titre(convention)
    assert f"a déjà un titre de perception ({first.number})" in error.value.messages[0]


def test_a_cancelled_number_is_never_reused():
    convention = signed_convention()
    first = billing.issue_titre(convention, on=date(2026, 11, 2))
    with pytest.raises(ValidationError):
        billing.cancel(first, reason="  ")
    billing.cancel(first, reason="erreur sur le nombre d'écoles")

    second = billing.issue_titre(convention, on=date(2026, 11, 3))

    first.refresh_from_db()
    assert first.status == TitreStatus.ANNULE
    assert first.number == "TP-2026-16-000001"
    assert first.cancel_reason == "erreur sur le nombre d'écoles"
    assert second.number == "TP-2026-16-000002"


def test_payment_is_recorded_and_a_different_amount_is_flagged():
    exact = billing.issue_titre(signed_convention(), on=date(2026, 11, 2))
    short = billing.issue_titre(signed_convention(), on=date(2026, 11, 2))

    billing.mark_paid(exact, paid_on=date(2026, 12, 15))
    billing.mark_paid(short, paid_on=date(2026, 12, 16), amount=Decimal("123.00"))

    exact.refresh_from_db()
    short.refresh_from_db()
    assert (exact.status, exact.amount_paid, exact.payment_differs) == (
        TitreStatus.PAYE,
        Decimal("164.00"),
        False,
    )
    assert (short.paid_on, short.amount_paid, short.payment_differs) == (
        date(2026, 12, 16),
        Decimal("123.00"),
        True,
    )
    with pytest.raises(ValidationError) as error:
        billing.cancel(exact, reason="trop tard")
    assert "ne peut plus être annulé" in error.value.messages[0]


def test_payment_before_issue_is_refused():
    titre = billing.issue_titre(signed_convention(), on=date(2026, 11, 2))
    with pytest.raises(ValidationError) as error:
        billing.mark_paid(titre, paid_on=date(2026, 11, 1))
    assert "antérieure à son émission (02/11/2026)" in error.value.messages[0]


def test_an_issued_titre_refuses_a_change_of_amount():
    titre = billing.issue_titre(signed_convention())
    titre.amount = Decimal("1.00")
    with pytest.raises(ValidationError) as error:
        titre.save()
    assert "ne peut plus être modifié" in error.value.messages[0]
    with pytest.raises(ValidationError):
        Titre.objects.filter(pk=titre.pk).update(amount=Decimal("1.00"))
    assert Titre.objects.get(pk=titre.pk).amount == Decimal("164.00")


def test_issue_titres_command_bills_every_signed_convention_of_the_year(capsys):
    signed = [signed_convention(schools=n) for n in (1, 2, 3)]
    unsigned = ConventionFactory()

    call_command("issue_titres", "--year", "2026-2027", "--academie", "16", "--date", "05/01/2027")

    out = capsys.readouterr().out
    assert "3 titres émis, de TP-2027-16-000001 à TP-2027-16-000003" in out
    assert "total 246,00" in out
    assert set(Titre.objects.values_list("convention", flat=True)) == {c.pk for c in signed}
    assert not unsigned.titres.exists()

    call_command("issue_titres", "--year", "2026-2027")
    assert "Aucune convention à facturer pour 2026-2027." in capsys.readouterr().out


def test_issue_titres_command_explains_a_bad_year():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="année scolaire « 2099-2100 » inconnue"):
        call_command("issue_titres", "--year", "2099-2100")


def test_a_prepared_titre_is_not_issued_once_its_convention_is_cancelled():
    convention = signed_convention()
    titre = billing.prepare_titre(convention)
    # transition_to refuses to cancel a convention with a live titre; the guard in
    # billing.issue still covers rows cancelled behind its back (older data, raw SQL).
    type(convention).objects.filter(pk=convention.pk).update(status=ConventionStatus.ANNULEE)

    with pytest.raises(ValidationError) as error:
        billing.issue(titre)

    assert "est « annulée » : le titre ne peut être émis" in error.value.messages[0]
    titre.refresh_from_db()
    assert (titre.status, titre.number) == (TitreStatus.A_EMETTRE, None)
