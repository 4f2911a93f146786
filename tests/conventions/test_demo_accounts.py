from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from conventions.management.commands.ensure_demo_admin import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def run():
    out = StringIO()
    call_command("ensure_demo_admin", stdout=out)
    return out.getvalue()


def test_one_account_per_role_is_created_and_printed(debug):
    out = run()

    admin = authenticate(username="admin", password=DEMO_PASSWORD)
    gestionnaire = authenticate(username="gestionnaire", password=DEMO_PASSWORD)
    comptable = authenticate(username="comptable", password=DEMO_PASSWORD)
    assert admin.is_superuser and admin.is_staff
    assert gestionnaire.is_staff and not gestionnaire.is_superuser
    assert comptable.is_staff and not comptable.is_superuser
    assert [g.name for g in gestionnaire.groups.all()] == ["Gestion des conventions"]
    assert [g.name for g in comptable.groups.all()] == ["Comptabilité"]
    # What each role may do comes from its group, as for any real account.
    assert comptable.has_perm("conventions.issue_titre")
    assert not comptable.has_perm("conventions.change_convention")
    assert gestionnaire.has_perm("conventions.change_convention")
    assert not gestionnaire.has_perm("conventions.issue_titre")

    assert "Administration : http://127.0.0.1:8000/admin/" in out
    for username, role in [
        ("admin", "superutilisateur"),
        ("gestionnaire", "Gestion des conventions"),
        ("comptable", "Comptabilité"),
    ]:
        line = next(line for line in out.splitlines() if line.split()[:1] == [username])
        assert DEMO_PASSWORD in line
        assert role in line
    assert "existant" not in out


def test_running_it_again_keeps_the_accounts_and_their_passwords(debug, django_user_model):
    run()
    comptable = django_user_model.objects.get(username="comptable")
    comptable.set_password("changé-par-la-démo")
    comptable.save()

    out = run()

    assert django_user_model.objects.count() == 3
    assert authenticate(username="comptable", password="changé-par-la-démo")
    assert (
        "Comptes déjà existants, mots de passe inchangés : admin, gestionnaire, comptable" in out
    )
    assert Group.objects.get(name="Comptabilité").user_set.count() == 1


def test_refused_in_production(settings, django_user_model):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="qu'en développement"):
        run()
    assert not django_user_model.objects.exists()


def test_a_missing_group_is_reported_in_french(debug):
    Group.objects.filter(name="Comptabilité").delete()
    with pytest.raises(CommandError, match="Le groupe « Comptabilité » n'existe pas"):
        run()
