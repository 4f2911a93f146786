from django.contrib.auth.management import create_permissions
from django.db import migrations

# Staff read the errors the public pages report and mark them handled; the administration
# role has every permission of the apps (0009), this model's too.
GESTION = "Gestion des conventions"
ADMINISTRATION = "Administration"
CODENAMES = ["view_errorreport", "handle_errorreport"]


def update_groups(apps, schema_editor):
    app_config = apps.get_app_config("conventions")
    # As in 0007: a migration's app config has no models module, which create_permissions
    # would skip.
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.filter(
        content_type__app_label="conventions", content_type__model="errorreport"
    )
    for group in Group.objects.filter(name=GESTION):
        group.permissions.add(*permissions.filter(codename__in=CODENAMES))
    for group in Group.objects.filter(name=ADMINISTRATION):
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [("conventions", "0013_error_reports")]

    operations = [migrations.RunPython(update_groups, migrations.RunPython.noop)]
