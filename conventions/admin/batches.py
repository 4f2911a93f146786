from django.contrib import admin
from django.utils.html import format_html, format_html_join

from communes.admin_actions import RefusedActionMixin
from conventions.models import (
    IssuingBatch,
)


@admin.register(IssuingBatch)
class IssuingBatchAdmin(RefusedActionMixin, admin.ModelAdmin):
    list_display = ["__str__", "state", "progress", "failure_count", "created_by"]
    list_select_related = ["school_year", "created_by"]
    list_filter = ["school_year"]
    fields = [
        "school_year",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "state",
        "progress",
        "failure_list",
    ]
    readonly_fields = fields
    change_list_template = "admin/conventions/issuingbatch/change_list.html"
    change_form_template = "admin/conventions/issuingbatch/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="état")
    def state(self, obj):
        return obj.state

    @admin.display(description="avancement")
    def progress(self, obj):
        return format_html(
            '<progress max="{}" value="{}"></progress> {} / {}',
            obj.total or 1,
            obj.done,
            obj.done,
            obj.total,
        )

    @admin.display(description="non émises")
    def failure_count(self, obj):
        return len(obj.failures)

    @admin.display(description="détail des échecs")
    def failure_list(self, obj):
        if not obj.failures:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong> : {}</li>",
                ((f["reference"], f["erreur"]) for f in obj.failures),
            ),
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["refresh"] = obj is not None and obj.finished_at is None
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        running = IssuingBatch.objects.filter(finished_at__isnull=True).exists()
        return super().changelist_view(request, {**(extra_context or {}), "refresh": running})
