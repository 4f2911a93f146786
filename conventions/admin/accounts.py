from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User

from communes.admin_wording import FrenchWordingMixin
from conventions.admin.agents import AddAgentMixin

# Django names the permissions it creates in English ("Can add convention"); ours are French.
VERBS = {"add": "ajouter", "change": "modifier", "delete": "supprimer", "view": "consulter"}


class PermissionsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, permission):
        model = permission.content_type.model_class()
        action, _, model_name = permission.codename.partition("_")
        if model is not None and action in VERBS and model_name == model._meta.model_name:
            return f"{permission.content_type} | peut {VERBS[action]}"
        return f"{permission.content_type} | {permission.name}"


class FrenchPermissionsMixin:
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionsField
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# Django's own account pages, with the French titles of the other pages ("Ajouter un
# utilisateur" rather than "Ajout de utilisateur").
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(AddAgentMixin, FrenchWordingMixin, FrenchPermissionsMixin, auth_admin.UserAdmin):
    pass


@admin.register(Group)
class GroupAdmin(FrenchWordingMixin, FrenchPermissionsMixin, auth_admin.GroupAdmin):
    pass
