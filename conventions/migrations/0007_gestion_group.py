from django.contrib.auth.management import create_permissions
from django.db import migrations

# The rectorat's staff: everything on territory, schools and conventions (what a role may
# do on a given object, such as deleting only drafts, is decided by the admin), and on
# titres only what lets them follow the billing: view and export.
GESTION = "Gestion des conventions"
APPS = ["communes", "schools", "conventions"]
TITRE_PERMISSIONS = {"view_titre", "export_titre"}
EXCLUDED_MODELS = {"titre", "titrecounter"}


def create_group(apps, schema_editor):
    # Permissions are otherwise created after the whole migrate run (post_migrate).
    for label in [*APPS, "auth", "contenttypes"]:
        app_config = apps.get_app_config(label)
        # A migration's app configs have no models module, and create_permissions skips
        # those; the tests call this function with the real registry too.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = [
        permission
        for permission in Permission.objects.filter(content_type__app_label__in=APPS)
        .select_related("content_type")
        .order_by("pk")
        if permission.content_type.model not in EXCLUDED_MODELS
        or permission.codename in TITRE_PERMISSIONS
    ]
    group, _ = Group.objects.get_or_create(name=GESTION)
    group.permissions.set(permissions)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GESTION).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("communes", "0003_chorus"),
        ("schools", "0001_initial"),
        ("conventions", "0006_comptabilite_group"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
