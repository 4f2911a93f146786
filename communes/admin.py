from django.contrib import admin
from import_export.formats.base_formats import CSV, XLSX

from communes.admin_actions import RefusedActionMixin
from communes.admin_history import HistoryAdmin
from communes.admin_import import ReportedImportMixin
from communes.admin_links import NoRelatedDeletionMixin
from communes.admin_scope import ScopedAdminMixin
from communes.admin_wording import FrenchInlineMixin, FrenchWordingMixin
from communes.changelists import ChangelistRowsMixin
from communes.collectivites_import import CollectiviteResource, import_collectivites
from communes.forms import CollectiviteForm
from communes.models import Academie, Collectivite, Commune, Departement


class DepartementInline(FrenchInlineMixin, admin.TabularInline):
    model = Departement
    extra = 0
    fields = ["code", "name"]


@admin.register(Academie)
class AcademieAdmin(ScopedAdminMixin, RefusedActionMixin, FrenchWordingMixin, admin.ModelAdmin):
    scope_path = "pk"
    feminine = True
    list_display = ["name", "code", "signing_city"]
    search_fields = ["name", "code"]
    inlines = [DepartementInline]


@admin.register(Departement)
class DepartementAdmin(ScopedAdminMixin, RefusedActionMixin, FrenchWordingMixin, admin.ModelAdmin):
    scope_path = "academie"
    list_display = ["code", "name", "academie"]
    list_filter = ["academie"]
    search_fields = ["code", "name"]
    list_select_related = ["academie"]


@admin.register(Commune)
class CommuneAdmin(
    ScopedAdminMixin, RefusedActionMixin, FrenchWordingMixin, ChangelistRowsMixin, admin.ModelAdmin
):
    scope_path = "departement__academie"
    feminine = True
    list_display = ["name", "insee_code", "postal_code", "departement"]
    list_filter = ["departement__academie", "departement"]
    search_fields = ["name", "insee_code", "postal_code"]
    list_select_related = ["departement"]
    autocomplete_fields = ["departement"]
    list_per_page = 50


@admin.register(Collectivite)
class CollectiviteAdmin(
    ScopedAdminMixin,
    NoRelatedDeletionMixin,
    RefusedActionMixin,
    FrenchWordingMixin,
    ChangelistRowsMixin,
    ReportedImportMixin,
    HistoryAdmin,
):
    scope_path = "communes__departement__academie"
    scope_many = True
    feminine = True
    form = CollectiviteForm
    list_display = ["name", "kind", "siret", "city", "representative_name", "communes_covered"]
    list_filter = ["kind", "communes__departement__academie", "communes__departement"]
    search_fields = ["name", "siret", "city", "communes__name", "communes__insee_code"]
    autocomplete_fields = ["communes"]
    list_per_page = 50
    resource_classes = [CollectiviteResource]
    import_formats = [CSV, XLSX]
    import_function = import_collectivites
    import_title = "Importer des collectivités"
    import_help = (
        "Fichier CSV (séparateur « ; » ou « , », UTF-8) ou XLSX, une collectivité par ligne, "
        "identifiée par son SIRET : une collectivité déjà connue est mise à jour. Les communes "
        "couvertes sont données par leurs codes INSEE séparés par « | » ou « , »."
    )
    fieldsets = [
        (None, {"fields": ["kind", "name", "siret"]}),
        ("Adresse", {"fields": ["address", "postal_code", "city"]}),
        ("Communes couvertes", {"fields": ["communes"]}),
        (
            "Représentant et contact",
            {"fields": ["representative_name", "representative_title", "emails"]},
        ),
        ("Chorus Pro", {"fields": ["chorus_service_code", "chorus_engagement_number"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("communes")

    @admin.display(description="communes couvertes")
    def communes_covered(self, obj):
        return ", ".join(commune.name for commune in obj.communes.all())


# The journal's read-only page.
import communes.admin_journal  # noqa: E402, F401
