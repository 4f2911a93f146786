import pytest
from django.core.exceptions import ValidationError

from conventions.enums import TRANSITIONS, ConventionStatus
from tests.factories import ConventionFactory

pytestmark = pytest.mark.django_db
S = ConventionStatus

HAPPY_PATH = [S.EMISE, S.ENVOYEE, S.SIGNEE_COLLECTIVITE, S.SIGNEE_ACADEMIE, S.FACTUREE]


def test_the_whole_life_stamps_each_date():
    convention = ConventionFactory()
    for status in HAPPY_PATH:
        convention.transition_to(status)
    convention.refresh_from_db()
    assert convention.status == S.FACTUREE
    assert all(
        [
            convention.issued_at,
            convention.sent_at,
            convention.signed_by_collectivite_at,
            convention.signed_by_academie_at,
            convention.invoiced_at,
        ]
    )


@pytest.mark.parametrize("current", list(S))
def test_every_illegal_step_is_refused(current):
    for target in S:
        if target in TRANSITIONS[current]:
            continue
        convention = ConventionFactory()
        convention.status = current
        convention.save()
        with pytest.raises(ValidationError) as error:
            convention.transition_to(target, reason="motif")
        assert "Passage impossible" in error.value.messages[0]
        convention.refresh_from_db()
        assert convention.status == current


@pytest.mark.parametrize("current", [s for s in S if s != S.ANNULEE])
def test_cancellation_is_possible_at_any_point_with_a_reason(current):
    convention = ConventionFactory()
    convention.status = current
    convention.save()
    with pytest.raises(ValidationError, match="motif"):
        convention.transition_to(S.ANNULEE, reason="  ")
    convention.transition_to(S.ANNULEE, reason="Doublon")
    convention.refresh_from_db()
    assert (convention.status, convention.cancel_reason) == (S.ANNULEE, "Doublon")
    assert convention.cancelled_at


def test_a_stale_object_cannot_move_a_convention_moved_elsewhere():
    convention = ConventionFactory()
    stale = type(convention).objects.get(pk=convention.pk)
    convention.transition_to(S.EMISE)
    with pytest.raises(ValidationError, match="changé de statut"):
        stale.transition_to(S.EMISE)
