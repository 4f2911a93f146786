"""The application's roles, as staff accounts: tests log in as each of them."""

import importlib

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from communes.models import Academie, AgentScope

PASSWORD = "mot-de-passe-de-test-42"
GESTION = "Gestion des conventions"
COMPTABILITE = "Comptabilité"
ADMINISTRATION = "Administration"
ROLES = ["superuser", "gestion", "comptabilite"]


GROUP_MIGRATIONS = [
    ("0006_comptabilite_group", "create_group"),
    ("0007_gestion_group", "create_group"),
    ("0008_perms_convention_permissions", "update_groups"),
    ("0009_administration_group", "create_group"),
    ("0014_error_report_permissions", "update_groups"),
]


def ensure_groups():
    # Transactional tests empty every table, the groups created by migrations included:
    # build them again with the migrations' own code.
    for name, function in GROUP_MIGRATIONS:
        getattr(importlib.import_module(f"conventions.migrations.{name}"), function)(apps, None)


def make_user(role, username=None, academie=None):
    """A staff account of a role: "superuser", "gestion", "comptabilite" or
    "administration"; its scope is the whole region unless `academie` (a code) is given."""
    User = get_user_model()
    user = User.objects.create_user(
        username=username or f"agent-{role}",
        password=PASSWORD,
        is_staff=True,
        is_superuser=role == "superuser",
    )
    group = {
        "gestion": GESTION,
        "comptabilite": COMPTABILITE,
        "administration": ADMINISTRATION,
    }.get(role)
    if group is not None:
        if not Group.objects.filter(name=group).exists():
            ensure_groups()
        user.groups.add(Group.objects.get(name=group))
    if role != "superuser":
        academie_id = Academie.objects.get(code=academie).pk if academie else None
        AgentScope.objects.create(user=user, academie_id=academie_id)
    return user
