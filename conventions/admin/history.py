"""The convention's "Historique" (its fields and its schools) and its timeline."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from conventions.models import Enrollment
from conventions.templatetags.dates import long_datetime
from conventions.timeline import convention_steps, who

ENROLLMENT_CHANGES = {"+": "école ajoutée", "-": "école retirée", "~": "inscription modifiée"}


def enrollment_changes(convention_id):
    records = (
        Enrollment.history.filter(convention_id=convention_id)
        .select_related("history_user", "school")
        .order_by("-history_date", "-history_id")
    )
    rows = []
    for record in records:
        school = record.school
        label = f"{school.name} ({school.uai})" if school else str(record.school_id)
        change = ENROLLMENT_CHANGES[record.history_type]
        if record.history_type == "~" and not record.active:
            change = "inscription close (convention annulée)"
        rows.append(
            {"at": record.history_date, "who": who(record), "change": change, "school": label}
        )
    return rows


class ConventionHistoryMixin:
    object_history_template = "admin/conventions/convention/object_history.html"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        # From its creation on, drafts included: who made it, changed it, and its schools.
        return [*fieldsets, ("Chronologie", {"fields": ["event_timeline"]})]

    def history_view(self, request, object_id, extra_context=None):
        extra_context = {
            "enrollment_changes": enrollment_changes(object_id),
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, extra_context)

    @admin.display(description="chronologie")
    def event_timeline(self, obj):
        if not obj.pk:
            return "—"
        steps = convention_steps(obj)
        if not steps:
            return "aucun événement enregistré"
        return format_html(
            '<ol class="convention-timeline">{}</ol>',
            format_html_join(
                "",
                "<li><strong>{}</strong> : {}{} <small>(par {})</small></li>",
                (
                    (
                        long_datetime(step.at),
                        step.label,
                        f" — {step.detail}" if step.detail else "",
                        step.actor or "système",
                    )
                    for step in steps
                ),
            ),
        )
