import importlib

from django.db import migrations

# Acting on a convention's document, link and status gets its own permissions, so that the
# roles' matrix (README, "Rôles et permissions") reads in the groups: "Gestion des
# conventions" holds them all; "Comptabilité" none, but now reads the collectivités and
# their communes (a convention's parties). Cancelling a titre stays with superusers.
COMPTABILITE = "Comptabilité"
COMPTABILITE_ADDED = [
    ("communes", "view_collectivite"),
    ("communes", "view_commune"),
]


def update_groups(apps, schema_editor):
    # 0007's function gives the staff group every permission of the three apps, the new
    # ones included (and creates those permissions now rather than after migrate).
    importlib.import_module("conventions.migrations.0007_gestion_group").create_group(
        apps, schema_editor
    )
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=COMPTABILITE)
    for app_label, codename in COMPTABILITE_ADDED:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_additions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=COMPTABILITE).first()
    if group is not None:
        for app_label, codename in COMPTABILITE_ADDED:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("conventions", "0007_gestion_group"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="convention",
            options={
                "ordering": ["-school_year__label", "commune__name"],
                "permissions": [
                    ("issue_convention", "Peut émettre des conventions"),
                    (
                        "send_link_convention",
                        "Peut envoyer, régénérer et révoquer le lien privé",
                    ),
                    (
                        "change_status_convention",
                        "Peut changer le statut et annuler des conventions",
                    ),
                ],
                "verbose_name": "convention",
                "verbose_name_plural": "conventions",
            },
        ),
        migrations.RunPython(update_groups, remove_additions),
    ]
