"""The application's roles, as staff accounts: tests log in as each of them."""

import importlib

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

PASSWORD = "mot-de-passe-de-test-42"
GESTION = "Gestion des conventions"
COMPTABILITE = "Comptabilité"
ROLES = ["superuser", "gestion", "comptabilite"]


GROUP_MIGRATIONS = [
    ("0006_comptabilite_group", "create_group"),
    ("0007_gestion_group", "create_group"),
    ("0008_perms_convention_permissions", "update_groups"),
]


def ensure_groups():
    # Transactional tests empty every table, the groups created by migrations included:
    # build them again with the migrations' own code.
    for name, function in GROUP_MIGRATIONS:
        getattr(importlib.import_module(f"conventions.migrations.{name}"), function)(apps, None)


def make_user(role, username=None):
    """A staff account of a role: "superuser", "gestion" or "comptabilite"."""
    User = get_user_model()
    user = User.objects.create_user(
        username=username or f"agent-{role}",
        password=PASSWORD,
        is_staff=True,
        is_superuser=role == "superuser",
    )
    group = {"gestion": GESTION, "comptabilite": COMPTABILITE}.get(role)
    if group is not None:
        if not Group.objects.filter(name=group).exists():
            ensure_groups()
        user.groups.add(Group.objects.get(name=group))
    return user
