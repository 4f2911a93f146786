from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User

from communes.admin_wording import FrenchWordingMixin

# Django's own account pages, with the French titles of the other pages ("Ajouter un
# utilisateur" rather than "Ajout de utilisateur").
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(FrenchWordingMixin, auth_admin.UserAdmin):
    pass


@admin.register(Group)
class GroupAdmin(FrenchWordingMixin, auth_admin.GroupAdmin):
    pass
