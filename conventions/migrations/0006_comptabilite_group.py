from django.db import migrations

# What an accountant may do, and nothing else: see conventions and titres, export them,
# issue titres and record their payment. No change, add or delete on any model.
COMPTABILITE = "Comptabilité"
PERMISSIONS = {
    "convention": [("view_convention", "Can view convention")],
    "titre": [
        ("view_titre", "Can view titre de perception"),
        ("export_titre", "Peut exporter les titres de perception"),
        ("issue_titre", "Peut émettre des titres de perception"),
        ("mark_paid_titre", "Peut marquer des titres payés"),
    ],
}


def create_group(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    # Permissions are otherwise created after the whole migrate run (post_migrate):
    # create the few we need now, under the names post_migrate will find.
    permissions = []
    for model, codenames in PERMISSIONS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="conventions", model=model)
        for codename, name in codenames:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": name}
            )
            permissions.append(permission)
    group, _ = Group.objects.get_or_create(name=COMPTABILITE)
    group.permissions.set(permissions)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=COMPTABILITE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("conventions", "0005_titres"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
