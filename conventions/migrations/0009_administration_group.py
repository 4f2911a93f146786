import importlib

from django.db import migrations

# The "administration" role of add_agent: every permission of the three apps, titres
# included (cancelling one too), within its scope like any agent. Who the agents are and
# what they see (users, groups, scopes) stays with superusers.
ADMINISTRATION = "Administration"
APPS = ["communes", "schools", "conventions"]
EXCLUDED_MODELS = {"agentscope", "titrecounter"}
GESTION = "Gestion des conventions"


def create_group(apps, schema_editor):
    # 0007's function creates the permissions now, and rebuilds the staff group from every
    # model of the apps: scopes are not theirs to change.
    importlib.import_module("conventions.migrations.0007_gestion_group").create_group(
        apps, schema_editor
    )
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = (
        Permission.objects.filter(content_type__app_label__in=APPS)
        .exclude(content_type__model__in=EXCLUDED_MODELS)
        .order_by("pk")
    )
    group, _ = Group.objects.get_or_create(name=ADMINISTRATION)
    group.permissions.set(permissions)
    Group.objects.get(name=GESTION).permissions.remove(
        *Permission.objects.filter(content_type__model="agentscope")
    )


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=ADMINISTRATION).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("communes", "0004_agent_scope"),
        ("conventions", "0008_perms_convention_permissions"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
