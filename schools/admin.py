from django import forms
from django.contrib import admin
from import_export.formats.base_formats import CSV
from import_export.resources import Resource

from communes.admin_actions import RefusedActionMixin
from communes.admin_history import HistoryAdmin
from communes.admin_import import (
    PREVIEW_LIMIT,
    ReportedConfirmForm,
    ReportedImportForm,
    ReportedImportMixin,
)
from communes.admin_scope import ScopedAdminMixin
from communes.admin_wording import FrenchWordingMixin
from communes.changelists import ChangelistRowsMixin, SortedIdsPaginator
from schools.annuaire import REQUIRED_COLUMNS, import_annuaire
from schools.models import School


class AnnuaireResource(Resource):
    """Names the columns the annuaire import reads, for django-import-export's import page;
    the rows themselves are read by schools.annuaire, the same code as the command."""

    @classmethod
    def get_display_name(cls):
        return "Annuaire de l'éducation (CSV officiel)"

    def get_user_visible_fields(self):
        return [type("Column", (), {"column_name": label}) for label in REQUIRED_COLUMNS.values()]


class AnnuaireImportForm(ReportedImportForm):
    complete = forms.BooleanField(
        label="export complet",
        required=False,
        help_text=(
            "le fichier est l'export complet des académies qu'il contient : leurs écoles "
            "absentes du fichier seront marquées fermées"
        ),
    )


class AnnuaireConfirmForm(ReportedConfirmForm):
    complete = forms.BooleanField(required=False, widget=forms.HiddenInput)


@admin.register(School)
class SchoolAdmin(
    ScopedAdminMixin,
    RefusedActionMixin,
    FrenchWordingMixin,
    ChangelistRowsMixin,
    ReportedImportMixin,
    HistoryAdmin,
):
    scope_path = "commune__departement__academie"
    feminine = True
    list_display = ["uai", "name", "kind_and_sector", "commune", "departement", "status"]
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
    paginator = SortedIdsPaginator

    @admin.display(description="type", ordering="kind")
    def kind_and_sector(self, obj):
        return obj.kind_and_sector

    resource_classes = [AnnuaireResource]
    import_formats = [CSV]
    import_function = import_annuaire
    import_flags = ["skip_invalid", "complete"]
    import_form_class = AnnuaireImportForm
    confirm_form_class = AnnuaireConfirmForm
    import_title = "Importer les écoles de l'annuaire de l'éducation"
    import_help = (
        "Déposez l'export CSV officiel de l'annuaire de l'éducation (fr-en-annuaire-education), "
        "séparé par des points-virgules, en UTF-8. Seules les écoles du premier degré des "
        "académies connues de l'application sont importées. Un aperçu des changements est "
        "affiché avant toute écriture."
    )

    @admin.display(description="département", ordering="commune__departement__code")
    def departement(self, obj):
        return obj.commune.departement.short_code

    @admin.display(description="libellé dans les conventions")
    def convention_label(self, obj):
        return obj.convention_label() if obj.pk else "—"

    def created_preview(self, report):
        return [f"{uai} {name}" for uai, name in report.created[:PREVIEW_LIMIT]]
