import json

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django_tasks_db.models import DBTaskResult

from communes.admin_actions import RefusedActionMixin
from communes.admin_scope import ScopedAdminMixin
from communes.admin_wording import FrenchWordingMixin
from conventions.admin.common import LongDatesMixin
from conventions.models import (
    IssuingBatch,
)

# The tasks staff may meet in "Tâches d'arrière-plan", by the name they know them by.
TASK_LABELS = {"conventions.tasks.issue_in_background": "émission de conventions en arrière-plan"}


def conventions(count):
    # French: 0 and 1 are singular.
    return f"{count} convention{'s' if count > 1 else ''}"


def progress_text(batch):
    """Where a background issuing stands, as its page says it."""
    issued, failed = batch.issued_count, len(batch.failures)
    if batch.finished_at:
        text = (
            f"Émission terminée : {conventions(issued)} émise{'s' if issued > 1 else ''} "
            f"sur {batch.total}"
        )
        if failed:
            text += (
                f" ; {conventions(failed)} non émise{'s' if failed > 1 else ''}, voir le détail"
            )
        return text + "."
    if batch.started_at:
        return (
            f"Émission en cours : {conventions(batch.done)} "
            f"traitée{'s' if batch.done > 1 else ''} sur {batch.total}."
        )
    return (
        f"Émission en attente : {conventions(batch.total)} à émettre, dès que le service "
        "d'arrière-plan la prendra en charge."
    )


@admin.register(IssuingBatch)
class IssuingBatchAdmin(
    ScopedAdminMixin, RefusedActionMixin, FrenchWordingMixin, LongDatesMixin, admin.ModelAdmin
):
    # A batch lists its conventions' references: seen by the agents of their académie.
    scope_path = "academie"
    feminine = True
    long_dates = ["created_at", "started_at", "finished_at"]
    list_display = ["__str__", "requested", "state", "progress", "failure_count", "created_by"]
    list_select_related = ["school_year", "academie", "created_by"]
    list_filter = ["school_year"]
    fields = [
        "school_year",
        "academie",
        "requested",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "state",
        "failure_list",
    ]
    readonly_fields = fields
    change_list_template = "admin/conventions/issuingbatch/change_list.html"
    change_form_template = "admin/conventions/issuingbatch/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # The batches are the history of who issued what: kept, even for superusers.
        return False

    @admin.display(description="demande")
    def requested(self, obj):
        return f"{obj.total} brouillon{'s' if obj.total > 1 else ''} à émettre"

    @admin.display(description="état")
    def state(self, obj):
        return obj.state

    @admin.display(description="avancement")
    def progress(self, obj):
        return format_html(
            '<span class="entconv-progress"><progress max="{}" value="{}" aria-label="{}">'
            "</progress> {} sur {}</span>",
            obj.total or 1,
            obj.done,
            "Avancement de l'émission",
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
        if obj is not None:
            context["refresh"] = obj.finished_at is None
            context["progress_text"] = progress_text(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        running = self.get_queryset(request).filter(finished_at__isnull=True).exists()
        return super().changelist_view(request, {**(extra_context or {}), "refresh": running})


# django_tasks_db's own admin speaks English ("Task Results", "enqueued at", "run after"):
# the same read-only pages, in French.
admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(FrenchWordingMixin, LongDatesMixin, admin.ModelAdmin):
    list_display = ["task_label", "status", "enqueued_at", "started_at", "finished_at"]
    list_filter = ["status"]
    ordering = ["-enqueued_at"]
    fields = [
        "task_label",
        "status",
        "enqueued_at",
        "started_at",
        "finished_at",
        "arguments",
        "result",
        "error",
    ]
    readonly_fields = fields
    long_dates = ["enqueued_at", "started_at", "finished_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="tâche", ordering="task_path")
    def task_label(self, obj):
        return TASK_LABELS.get(obj.task_path, obj.task_path)

    @admin.display(description="paramètres")
    def arguments(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.args_kwargs, ensure_ascii=False))

    @admin.display(description="résultat")
    def result(self, obj):
        if obj.return_value is None:
            return "—"
        return format_html("<pre>{}</pre>", json.dumps(obj.return_value, ensure_ascii=False))

    @admin.display(description="erreur")
    def error(self, obj):
        return format_html("<pre>{}</pre>", obj.traceback) if obj.traceback else "—"
