from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.resources import Resource
from import_export.tmp_storages import TempFolderStorage

from schools.annuaire import REQUIRED_COLUMNS, import_annuaire
from schools.models import School

# Rows shown in the preview: a national file would otherwise list tens of thousands.
PREVIEW_LIMIT = 300


class AnnuaireResource(Resource):
    """Names the columns the annuaire import reads, for django-import-export's import page;
    the rows themselves are read by schools.annuaire, the same code as the command."""

    @classmethod
    def get_display_name(cls):
        return "Annuaire de l'éducation (CSV officiel)"

    def get_user_visible_fields(self):
        return [type("Column", (), {"column_name": label}) for label in REQUIRED_COLUMNS.values()]


class AnnuaireImportForm(ImportForm):
    skip_invalid = forms.BooleanField(
        label="ignorer les lignes invalides",
        required=False,
        help_text="importe les lignes valides et liste les autres ; sinon rien n'est importé",
    )
    complete = forms.BooleanField(
        label="export complet",
        required=False,
        help_text=(
            "le fichier est l'export complet des académies qu'il contient : leurs écoles "
            "absentes du fichier seront marquées fermées"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].label = "fichier de l'annuaire (CSV « ; », UTF-8)"


class AnnuaireConfirmForm(ConfirmImportForm):
    skip_invalid = forms.BooleanField(required=False, widget=forms.HiddenInput)
    complete = forms.BooleanField(required=False, widget=forms.HiddenInput)


@admin.register(School)
class SchoolAdmin(ImportMixin, admin.ModelAdmin):
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

    # django-import-export's workflow (upload, preview, confirm), with schools.annuaire doing
    # both the preview (dry run) and the import, so the admin and the command cannot differ.
    resource_classes = [AnnuaireResource]
    import_formats = [CSV]
    import_form_class = AnnuaireImportForm
    confirm_form_class = AnnuaireConfirmForm
    import_template_name = "admin/schools/school/import.html"
    # The import reads the uploaded file from disk, as a stream.
    tmp_storage_class = TempFolderStorage

    @admin.display(description="département", ordering="commune__departement__code")
    def departement(self, obj):
        return obj.commune.departement.short_code

    @admin.display(description="libellé dans les conventions")
    def convention_label(self, obj):
        return obj.convention_label() if obj.pk else "—"

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["skip_invalid"] = import_form.cleaned_data["skip_invalid"]
            initial["complete"] = import_form.cleaned_data["complete"]
        return initial

    def import_action(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        import_form = self.create_import_form(request)
        context = {}
        if request.POST and import_form.is_valid():
            import_file = import_form.cleaned_data["import_file"]
            tmp_storage = self.write_to_tmp_storage(import_file, CSV())
            import_file.tmp_storage_name = tmp_storage.name
            report = import_annuaire(
                tmp_storage.get_full_path(),
                file_name=import_file.name,
                dry_run=True,
                skip_invalid=import_form.cleaned_data["skip_invalid"],
                complete=import_form.cleaned_data["complete"],
            )
            context["report"] = report
            context["created_preview"] = report.created[:PREVIEW_LIMIT]
            context["created_hidden"] = max(0, len(report.created) - PREVIEW_LIMIT)
            if report.refused:
                tmp_storage.remove()
            else:
                context["confirm_form"] = self.create_confirm_form(
                    request, import_form=import_form
                )
        return self.render_import(request, import_form, context)

    def render_import(self, request, import_form, context):
        resources = [resource() for resource in self.get_import_resource_classes(request)]
        context.update(self.admin_site.each_context(request))
        context.update(
            title="Importer les écoles de l'annuaire de l'éducation",
            form=import_form,
            opts=self.model._meta,
            media=self.media + import_form.media,
            fields_list=[
                (
                    resource.get_display_name(),
                    [field.column_name for field in resource.get_user_visible_fields()],
                )
                for resource in resources
            ],
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            messages.error(request, "Import impossible : le formulaire de confirmation a expiré.")
            return HttpResponseRedirect(reverse("admin:schools_school_import"))
        tmp_storage = self.get_tmp_storage_class()(
            name=confirm_form.cleaned_data["import_file_name"]
        )
        try:
            report = import_annuaire(
                tmp_storage.get_full_path(),
                file_name=confirm_form.cleaned_data["original_file_name"],
                skip_invalid=confirm_form.cleaned_data["skip_invalid"],
                complete=confirm_form.cleaned_data["complete"],
            )
        except FileNotFoundError:
            messages.error(request, "Import impossible : le fichier déposé n'est plus disponible.")
            return HttpResponseRedirect(reverse("admin:schools_school_import"))
        tmp_storage.remove()
        if report.refused:
            messages.error(request, "\n".join(report.lines()))
            return HttpResponseRedirect(reverse("admin:schools_school_import"))
        messages.success(
            request,
            f"Import de {report.file_name} terminé : {len(report.created)} école(s) créée(s), "
            f"{len(report.updated)} mise(s) à jour, {report.unchanged} inchangée(s), "
            f"{len(report.closed)} fermée(s).",
        )
        if report.affected_conventions:
            messages.warning(
                request,
                "Conventions d'années en cours à revoir : "
                + " ; ".join(report.affected_conventions),
            )
        return HttpResponseRedirect(reverse("admin:schools_school_changelist"))
