from django.contrib import admin, messages
from django.template.defaultfilters import truncatechars

from communes.admin_scope import ScopedAdminMixin
from communes.admin_wording import FrenchWordingMixin
from conventions.error_reports import mark_handled
from conventions.models import ErrorReport


@admin.register(ErrorReport)
class ErrorReportAdmin(ScopedAdminMixin, FrenchWordingMixin, admin.ModelAdmin):
    # A report from the general form may name no académie: every agent sees it.
    scope_path = "academie"
    scope_shared = True
    feminine = True
    list_display = [
        "created_at",
        "name",
        "message_start",
        "convention",
        "academie",
        "page_url",
        "handled",
        "handled_by",
    ]
    list_filter = ["handled", "academie"]
    list_select_related = ["convention", "academie", "handled_by"]
    search_fields = ["name", "email", "message", "convention__commune__name"]
    date_hierarchy = "created_at"
    actions = ["mark_as_handled"]
    fields = [
        "created_at",
        "convention",
        "academie",
        "page_url",
        "name",
        "email",
        "message",
        "ip_address",
        "handled",
        "handled_by",
        "handled_at",
    ]
    readonly_fields = fields

    @admin.display(description="message")
    def message_start(self, obj):
        # Escaped by the admin like every value: the text is shown as typed.
        return truncatechars(obj.message, 80)

    def has_add_permission(self, request):
        # Reports come from the public pages only.
        return False

    def has_handle_permission(self, request):
        return request.user.has_perm("conventions.handle_errorreport")

    @admin.action(description="Marquer comme traitées", permissions=["handle"])
    def mark_as_handled(self, request, queryset):
        count = mark_handled(queryset, request.user)
        self.message_user(
            request,
            f"{count} erreur{'s' if count > 1 else ''} signalée{'s' if count > 1 else ''} "
            f"marquée{'s' if count > 1 else ''} comme traitée{'s' if count > 1 else ''}.",
            messages.SUCCESS,
        )
