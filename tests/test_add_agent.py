"""manage.py add_agent and the admin's "Ajouter un agent": a staff account with one role and
one scope, and a one-time link to choose its password."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from communes.models import AgentScope
from tests.roles import make_user

pytestmark = pytest.mark.django_db
LINK_RE = re.compile(r"http://\S+/admin/mot-de-passe/\S+/")


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)


def add_agent(*args):
    from io import StringIO

    out = StringIO()
    call_command("add_agent", *args, stdout=out)
    return out.getvalue()


def test_creates_a_toulouse_manager_with_a_link_and_no_password(reference):
    out = add_agent(
        "Anne.Martin@ac-toulouse.fr", "--role", "gestion", "--academie", "16",
        "--name", "Anne MARTIN",
    )  # fmt: skip
    user = get_user_model().objects.get(username="anne.martin@ac-toulouse.fr")
    assert "Agent créé : anne.martin@ac-toulouse.fr — Gestion des conventions" in out
    assert "académie de Toulouse" in out
    assert LINK_RE.search(out)
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert (user.first_name, user.last_name) == ("Anne", "MARTIN")
    assert [g.name for g in user.groups.all()] == ["Gestion des conventions"]
    assert user.agent_scope.academie.code == "16"


def test_updates_an_agent_to_one_role_and_the_region(reference):
    add_agent("b@ac-montpellier.fr", "--role", "gestion", "--academie", "11")
    out = add_agent("b@ac-montpellier.fr", "--role", "comptabilite", "--academie", "region")
    user = get_user_model().objects.get(username="b@ac-montpellier.fr")
    assert "Agent mis à jour" in out and "région académique" in out
    assert [g.name for g in user.groups.all()] == ["Comptabilité"]
    assert user.agent_scope.academie is None


def test_administration_is_a_group_with_every_business_permission(reference):
    add_agent("c@ac-toulouse.fr", "--role", "administration", "--academie", "16")
    user = get_user_model().objects.get(username="c@ac-toulouse.fr")
    assert [g.name for g in user.groups.all()] == ["Administration"]
    assert user.has_perm("conventions.cancel_titre")
    assert user.has_perm("conventions.issue_convention")
    assert not user.has_perm("communes.change_agentscope")
    assert not user.has_perm("auth.change_user")


@pytest.mark.parametrize(
    "args, message",
    [
        (["pas-une-adresse", "--role", "gestion", "--academie", "16"], "adresse e-mail invalide"),
        (["a@ac-toulouse.fr", "--role", "directeur", "--academie", "16"], "rôle inconnu"),
        (["a@ac-toulouse.fr", "--role", "gestion", "--academie", "31"], "académie inconnue"),
    ],
)
def test_bad_input_is_a_french_error_and_writes_nothing(reference, args, message):
    with pytest.raises(CommandError) as error:
        add_agent(*args)
    assert message in str(error.value)
    assert "Rien n'a été modifié" in str(error.value)
    assert not get_user_model().objects.exists()
    assert not AgentScope.objects.exists()


def test_the_command_exits_non_zero_on_bad_input(reference, capsys):
    from django.core.management import execute_from_command_line

    with pytest.raises(SystemExit) as exit_:
        execute_from_command_line(
            ["manage.py", "add_agent", "x", "--role", "gestion", "--academie", "16"]
        )
    assert exit_.value.code != 0
    assert "adresse e-mail invalide" in capsys.readouterr().err


def test_the_link_sets_the_password_once(reference):
    out = add_agent("d@ac-toulouse.fr", "--role", "gestion", "--academie", "16")
    link = LINK_RE.search(out).group(0).removeprefix("http://127.0.0.1:8000")
    client = Client()
    form_page = client.get(link, follow=True)
    assert "Nouveau mot de passe" in form_page.text
    done = client.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "un-mot-de-passe-solide-42",
            "new_password2": "un-mot-de-passe-solide-42",
        },
        follow=True,
    )
    assert reverse("admin:login") in done.text
    assert client.login(username="d@ac-toulouse.fr", password="un-mot-de-passe-solide-42")
    again = Client().get(link, follow=True)
    assert "Nouveau mot de passe" not in again.text


def test_the_users_page_adds_an_agent_for_superusers_only(reference):
    url = reverse("admin:auth_user_add_agent")
    superuser = Client()
    superuser.force_login(make_user("superuser"))
    listing = superuser.get(reverse("admin:auth_user_changelist"))
    assert url in listing.text
    response = superuser.post(
        url, {"email": "e@ac-toulouse.fr", "role": "gestion", "academie": "16", "name": ""}
    )
    assert "Agent créé" in response.text and LINK_RE.search(response.text)
    assert get_user_model().objects.get(username="e@ac-toulouse.fr").agent_scope.academie
    refused = superuser.post(url, {"email": "non", "role": "gestion", "academie": "16"})
    assert "adresse e-mail invalide" in refused.text
    manager = Client()
    manager.force_login(make_user("gestion"))
    assert manager.get(url).status_code == 403
    assert (
        manager.post(url, {"email": "f@x.fr", "role": "gestion", "academie": "16"}).status_code
        == 403
    )
