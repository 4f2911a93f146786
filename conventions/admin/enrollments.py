from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from communes.admin_wording import FrenchWordingMixin
from communes.changelists import ChangelistRowsMixin
from conventions.models import Enrollment


@admin.register(Enrollment)
class EnrollmentAdmin(FrenchWordingMixin, ChangelistRowsMixin, admin.ModelAdmin):
    """The schools enrolled in a year, read-only: the list the dashboard's "écoles inscrites"
    open. Enrollments are edited on their convention's page."""

    feminine = True
    list_display = ["school", "school_commune", "departement", "convention_link", "school_year"]
    list_filter = [
        "school_year",
        "active",
        "school__sector",
        "school__commune__departement__academie",
        "school__commune__departement",
    ]
    search_fields = ["school__uai", "school__name", "school__commune__name"]
    list_select_related = [
        "school__commune__departement",
        "school_year",
        "convention__commune",
        "convention__school_year",
        "convention__academie",
    ]
    list_display_links = None
    list_per_page = 50
    actions = None

    # Reached from the dashboard, not from the index: a convention's schools are shown and
    # edited on its page.
    def has_module_permission(self, request):
        return False

    # Whoever sees the conventions sees which schools they enroll.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("conventions.view_convention")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Deleting a draft convention deletes its enrollments, and Django asks the admin of every
    # registered model in the cascade: the convention's own rules decide. This admin has no
    # delete page (get_urls) and its read-only page offers none (change_view).
    def has_delete_permission(self, request, obj=None):
        return obj is not None

    def get_urls(self):
        delete = f"{self.opts.app_label}_{self.opts.model_name}_delete"
        return [url for url in super().get_urls() if getattr(url, "name", None) != delete]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="commune de l'école", ordering="school__commune__name")
    def school_commune(self, obj):
        return obj.school.commune.name

    @admin.display(description="département", ordering="school__commune__departement__code")
    def departement(self, obj):
        return obj.school.commune.departement

    @admin.display(description="convention")
    def convention_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:conventions_convention_change", args=[obj.convention_id]),
            obj.convention.reference,
        )
