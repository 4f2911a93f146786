"""django-import-export's admin workflow (upload, preview, confirm) driven by one of our import
functions, so that the admin runs exactly the code of the management command.

The function takes (path, file_name=, dry_run=, skip_invalid=, **flags) and returns a report
with `refused`, `lines()`, `summary()` and `created`; `import_flags` lists the form's booleans.
"""

import os
import tempfile

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from import_export.admin import ImportMixin
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.tmp_storages import TempFolderStorage

from communes.import_files import CappedList

# Rows listed in the preview: a national file would otherwise list tens of thousands.
PREVIEW_LIMIT = 300
# Hours an upload may wait for its confirmation.
CONFIRM_MAX_AGE = 6 * 3600


class ReportedImportForm(ImportForm):
    skip_invalid = forms.BooleanField(
        label="ignorer les lignes invalides",
        required=False,
        help_text="importe les lignes valides et liste les autres ; sinon rien n'est importé",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].label = "fichier à importer"


class ReportedConfirmForm(ConfirmImportForm):
    skip_invalid = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ReportedImportMixin(ImportMixin):
    import_function = None
    import_flags = ["skip_invalid"]
    import_title = "Importer"
    import_help = ""
    import_form_class = ReportedImportForm
    confirm_form_class = ReportedConfirmForm
    import_template_name = "admin/import_report.html"
    # The import functions read the uploaded file from disk, as a stream.
    tmp_storage_class = TempFolderStorage

    def has_import_permission(self, request):
        # django-import-export lets anyone import unless a setting names a permission:
        # importing creates and updates rows, so it takes both.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def write_to_tmp_storage(self, import_file, input_format):
        # django-import-export joins the uploaded chunks in memory; stream them to disk instead,
        # where the import reads them back as a stream (a national file is 40 MB).
        with tempfile.NamedTemporaryFile(delete=False) as tmp:
            for chunk in import_file.chunks():
                tmp.write(chunk)
        return self.get_tmp_storage_class()(name=os.path.basename(tmp.name))

    def created_preview(self, report):
        return [str(item) for item in report.created[:PREVIEW_LIMIT]]

    def file_name_signer(self, request):
        # The confirm form names the uploaded file in a hidden field, which django-import-export
        # then reads and deletes: bound to this session, this account and this admin, the
        # signed name cannot point at any other file of the temporary folder.
        salt = (
            f"entconv.import_file_name:{self.model._meta.label_lower}:{request.user.pk}:"
            f"{request.session.session_key}"
        )
        return signing.TimestampSigner(salt=salt)

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial.update({flag: import_form.cleaned_data[flag] for flag in self.import_flags})
            initial["import_file_name"] = self.file_name_signer(request).sign(
                initial["import_file_name"]
            )
        return initial

    def uploaded_file_name(self, request, signed):
        """The temporary file this session uploaded, or None for any other name."""
        try:
            name = self.file_name_signer(request).unsign(signed, max_age=CONFIRM_MAX_AGE)
        except signing.BadSignature:
            return None
        return name if name and os.path.basename(name) == name else None

    def run_import(self, path, file_name, form, dry_run):
        flags = {flag: form.cleaned_data[flag] for flag in self.import_flags}
        return type(self).import_function(path, file_name=file_name, dry_run=dry_run, **flags)

    def import_action(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        import_form = self.create_import_form(request)
        context = {}
        if request.POST and import_form.is_valid():
            import_file = import_form.cleaned_data["import_file"]
            input_format = self.get_import_formats()[int(import_form.cleaned_data["format"])]()
            tmp_storage = self.write_to_tmp_storage(import_file, input_format)
            import_file.tmp_storage_name = tmp_storage.name
            report = self.run_import(
                tmp_storage.get_full_path(), import_file.name, import_form, dry_run=True
            )
            context["report"] = report
            context["created_preview"] = self.created_preview(report)
            context["created_hidden"] = max(0, len(report.created) - PREVIEW_LIMIT)
            if report.refused:
                tmp_storage.remove()
            else:
                context["confirm_form"] = self.create_confirm_form(
                    request, import_form=import_form
                )
        resources = [resource() for resource in self.get_import_resource_classes(request)]
        context.update(self.admin_site.each_context(request))
        context.update(
            title=self.import_title,
            import_help=self.import_help,
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
        info = self.get_model_info()
        retry = HttpResponseRedirect(reverse("admin:{}_{}_import".format(*info)))
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            messages.error(request, "Import impossible : le formulaire de confirmation a expiré.")
            return retry
        name = self.uploaded_file_name(request, confirm_form.cleaned_data["import_file_name"])
        if name is None:
            # Forged, another session's, or expired: nothing is read nor deleted.
            return TemplateResponse(
                request,
                "admin/import_refused.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Import refusé",
                    "opts": self.model._meta,
                    "retry_url": retry.url,
                },
                status=403,
            )
        tmp_storage = self.get_tmp_storage_class()(name=name)
        try:
            report = self.run_import(
                tmp_storage.get_full_path(),
                confirm_form.cleaned_data["original_file_name"],
                confirm_form,
                dry_run=False,
            )
        except FileNotFoundError:
            messages.error(request, "Import impossible : le fichier déposé n'est plus disponible.")
            return retry
        tmp_storage.remove()
        if report.refused:
            messages.error(request, "\n".join(report.lines()))
            return retry
        messages.success(request, report.summary())
        affected = CappedList(getattr(report, "affected_conventions", []))
        for warning in affected:
            messages.warning(request, f"Convention d'une année en cours à revoir : {warning}")
        if rest := affected.rest("conventions"):
            messages.warning(request, f"Conventions d'une année en cours à revoir : {rest}")
        return HttpResponseRedirect(reverse("admin:{}_{}_changelist".format(*info)))
