from django.contrib import admin

from schools.models import School


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["uai", "name", "kind", "sector", "commune", "departement", "status"]
    list_filter = [
        "status",
        "kind",
        "sector",
        "commune__departement__academie",
        "commune__departement",
    ]
    search_fields = ["uai", "name", "commune__name", "commune__insee_code"]
    list_select_related = ["commune__departement"]
    autocomplete_fields = ["commune"]
    readonly_fields = ["convention_label", "updated_at"]
    list_per_page = 50

    @admin.display(description="département", ordering="commune__departement__code")
    def departement(self, obj):
        return obj.commune.departement.short_code

    @admin.display(description="libellé dans les conventions")
    def convention_label(self, obj):
        return obj.convention_label() if obj.pk else "—"
