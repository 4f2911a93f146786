from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from communes.admin_wording import FrenchWordingMixin
from conventions.ratelimit import client_ip
from entconv.security_events import record_login_event
from entconv.two_factor import reset_second_factor

# django-otp's own device pages are in English and show the secret keys: replaced by one
# list, for superusers, whose only action is the reset of a lost phone.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(FrenchWordingMixin, admin.ModelAdmin):
    feminine = True
    list_display = ["user", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields
    actions = ["reset"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        # A device alone is not deleted: the reset takes the backup codes with it.
        actions.pop("delete_selected", None)
        return actions

    @admin.action(
        description="Réinitialiser la double authentification des comptes choisis",
        permissions=["delete"],
    )
    def reset(self, request, queryset):
        users = {device.user for device in queryset.select_related("user")}
        for user in users:
            reset_second_factor(user)
            record_login_event("second_factor_reset", user, client_ip(request))
        if len(users) == 1:
            done = "Double authentification réinitialisée pour 1 compte : il l'activera"
        else:
            done = (
                f"Double authentification réinitialisée pour {len(users)} comptes : "
                "chacun l'activera"
            )
        self.message_user(
            request, f"{done} de nouveau à sa prochaine connexion.", messages.SUCCESS
        )
