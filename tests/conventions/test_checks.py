"""`check --deploy` warns when nobody would be told of a signed copy (issue 11)."""

import pytest
from django.core import checks

pytestmark = pytest.mark.django_db


def deploy_messages():
    return {
        message.id: message
        for message in checks.run_checks(include_deployment_checks=True)
        if message.id.startswith("conventions.")
    }


def test_deploy_check_warns_without_staff_address(settings):
    settings.STAFF_NOTIFICATION_EMAILS = []
    warning = deploy_messages()["conventions.W001"]
    assert warning.level == checks.WARNING
    assert "STAFF_NOTIFICATION_EMAILS est vide" in warning.msg
    assert "personne n'est averti" in warning.msg


def test_deploy_check_is_quiet_with_a_staff_address(settings):
    settings.STAFF_NOTIFICATION_EMAILS = ["ent-ecole@region-academique-occitanie.fr"]
    assert "conventions.W001" not in deploy_messages()


def test_the_check_runs_only_for_deployment(settings):
    settings.STAFF_NOTIFICATION_EMAILS = []
    assert not [m for m in checks.run_checks() if m.id == "conventions.W001"]
