"""The convention page's schools: one row per enrolled school, chosen in its commune."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.html import format_html

from communes.admin_links import NoRelatedDeletionMixin
from communes.admin_scope import ScopedAdminMixin
from communes.admin_wording import FrenchInlineMixin
from conventions.models import (
    Enrollment,
)


class EnrolledSchoolSelect(AutocompleteSelect):
    """The school autocomplete of an enrollment row. Django's widget queries the selected
    school to show it, one query per enrolled school; the row's form already holds it."""

    schools = {}  # pk (str) -> School, set per form by EnrollmentForm

    def optgroups(self, name, value, attr=None):
        selected = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if not all(pk in self.schools for pk in selected):
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        for pk in selected:
            school = self.schools[pk]
            label = self.choices.field.label_from_instance(school)
            options.append(self.create_option(name, school.pk, label, True, len(options)))
        return [(None, options, 0)]


class EnrollmentForm(forms.ModelForm):
    def __init__(self, *args, convention=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.convention = convention
        field = self.fields.get("school")  # absent when the convention is issued
        if field is not None and self.instance.school_id:
            widget = getattr(field.widget, "widget", field.widget)  # inside the related wrapper
            widget.schools = {str(self.instance.school_id): self.instance.school}

    def clean(self):
        # The row's year is its convention's. On a new convention neither is saved yet and
        # the model's clean() cannot reach it through convention_id: copy it here, for the
        # duplicate check and for the save.
        if self.convention is not None:
            self.instance.school_year_id = self.convention.school_year_id
        return super().clean()


class EnrollmentFormSet(forms.BaseInlineFormSet):
    def get_form_kwargs(self, index):
        # The convention being edited, saved or not (the admin validates the convention's
        # form, filling its year, before the inline's).
        return {**super().get_form_kwargs(index), "convention": self.instance}


class EnrollmentInline(
    ScopedAdminMixin, NoRelatedDeletionMixin, FrenchInlineMixin, admin.TabularInline
):
    feminine = True
    model = Enrollment
    form = EnrollmentForm
    formset = EnrollmentFormSet
    extra = 0
    autocomplete_fields = ["school"]
    fields = ["school", "label", "flag"]
    readonly_fields = ["label", "flag"]
    verbose_name = "école inscrite"
    verbose_name_plural = "écoles inscrites"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "school__commune__departement", "school_year", "convention__collectivite"
            )
            .prefetch_related("convention__collectivite__communes")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "school":
            kwargs["widget"] = EnrolledSchoolSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # An issued convention's schools are frozen with it.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and obj.is_issued)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_issued)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_issued)

    @admin.display(description="libellé imprimé")
    def label(self, obj):
        return obj.school.convention_label() if obj.pk else ""

    @admin.display(description="hors périmètre")
    def flag(self, obj):
        if obj.pk and obj.outside_communes:
            return format_html(
                '<span class="entconv-flag" title="{}">⚠ hors des communes couvertes</span>',
                "Cette école n'est pas située dans une commune pour laquelle la collectivité "
                "signe ; c'est permis (syndicats) mais à vérifier.",
            )
        return ""
