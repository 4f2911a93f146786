from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from communes.admin_actions import RefusedActionMixin
from communes.admin_history import HistoryAdmin
from communes.admin_scope import ScopedAdminMixin, refuse
from communes.admin_wording import FrenchInlineMixin, FrenchWordingMixin
from communes.models import Academie
from communes.scope import in_scope, scope_for
from conventions.admin.common import LongDatesMixin, admin_paths, issued_zip, pdf_response
from conventions.admin.renewal import CampaignRenewalMixin
from conventions.models import (
    Convention,
    ConventionTemplate,
    SchoolYear,
    Signatory,
    Tariff,
)
from conventions.pdf import ConventionDocument


class KeepUsedRowsMixin:
    """Nobody deletes a tariff, signatory or template that an issued convention printed:
    it stays, as the record of what was signed."""

    actions = ["delete_selected"]

    def is_used(self, obj):
        return self.model.objects.filter(pk=obj.pk).used_by_issued_conventions().exists()

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (
            obj is not None and self.is_used(obj)
        )

    @admin.action(
        description="Supprimer les %(verbose_name_plural)s sélectionnés", permissions=["delete"]
    )
    def delete_selected(self, request, queryset):
        kept = list(
            queryset.used_by_issued_conventions().select_related("school_year", "academie")
        )
        if kept:
            self.message_user(
                request,
                "Suppression refusée : une convention émise utilise "
                f"{', '.join(str(obj) for obj in kept[:20])}{' …' if len(kept) > 20 else ''} ; "
                "ce qui a été imprimé est conservé. Rien n'a été supprimé.",
                messages.ERROR,
            )
            return None
        return delete_selected(self, request, queryset)


class KeepUsedInlineMixin:
    # An inline cannot refuse row by row: a year that has issued conventions keeps its
    # tariffs and signatories (their own pages delete an unused one).
    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (
            obj is not None and obj.conventions.issued().exists()
        )


class TariffForm(forms.ModelForm):
    class Meta:
        model = Tariff
        fields = ["school_year", "academie", "rate"]
        # A text input read the French way: an <input type="number"> in an English-speaking
        # browser took "46,50" for 4 650. "46,50" and "46.50" both give 46,50 €.
        localized_fields = ["rate"]
        widgets = {"rate": forms.TextInput(attrs={"inputmode": "decimal", "size": 10})}


class TariffInline(ScopedAdminMixin, KeepUsedInlineMixin, FrenchInlineMixin, admin.TabularInline):
    scope_path = "academie"
    model = Tariff
    form = TariffForm
    extra = 0
    fields = ["academie", "rate"]


class SignatoryInline(
    ScopedAdminMixin, KeepUsedInlineMixin, FrenchInlineMixin, admin.StackedInline
):
    scope_path = "academie"
    model = Signatory
    extra = 0
    fields = ["academie", "name", "title_lines"]


@admin.register(SchoolYear)
class SchoolYearAdmin(
    CampaignRenewalMixin, RefusedActionMixin, FrenchWordingMixin, LongDatesMixin, admin.ModelAdmin
):
    feminine = True
    long_dates = ["end_date"]
    list_display = ["label", "end_date", "zip_links"]
    search_fields = ["label"]
    inlines = [TariffInline, SignatoryInline]
    change_form_template = "admin/conventions/schoolyear/change_form.html"

    def get_urls(self):
        return [
            *admin_paths(self, [("<int:pk>/zip/", self.zip_view, "zip")]),
            *self.renewal_urls(),
            *super().get_urls(),
        ]

    @admin.display(description="conventions émises (ZIP)")
    def zip_links(self, obj):
        url = reverse("admin:conventions_schoolyear_zip", args=[obj.pk])
        return format_html(
            '<a href="{}">toutes</a> · <a href="{}?academie=16">Toulouse</a> · '
            '<a href="{}?academie=11">Montpellier</a>',
            url,
            url,
            url,
        )

    def get_list_display(self, request):
        # An agent of one académie is offered its ZIP only (the others' are a 404).
        academies = scope_for(request.user)
        if academies is None:
            return super().get_list_display(request)
        codes = list(Academie.objects.filter(pk__in=academies).values_list("code", "name"))

        @admin.display(description="conventions émises (ZIP)")
        def zip_links(obj):
            url = reverse("admin:conventions_schoolyear_zip", args=[obj.pk])
            return format_html_join(
                " · ", '<a href="{}?academie={}">{}</a>', ((url, c, n) for c, n in codes)
            )

        return [
            zip_links if name == "zip_links" else name
            for name in super().get_list_display(request)
        ]

    def zip_view(self, request, pk):
        school_year = get_object_or_404(SchoolYear, pk=pk)
        # As the conventions list's ZIP action: for those who manage conventions.
        if not (
            self.has_view_permission(request, school_year)
            and request.user.has_perm("conventions.change_convention")
        ):
            raise PermissionDenied
        conventions = (
            Convention.objects.issued()
            .active()
            .filter(school_year=school_year)
            .select_related("school_year", "academie", "commune")
            .order_by("academie__code", "commune__insee_code")
        )
        # Only the user's académies; asking for another's is refused.
        conventions = in_scope(conventions, request.user, "academie")
        name = f"conventions-{school_year.label}"
        if code := request.GET.get("academie"):
            if not in_scope(Academie.objects.filter(code=code), request.user, "pk").exists():
                refuse(request, f"académie {code}")
            conventions = conventions.filter(academie__code=code)
            name += f"-{code}"
        return FileResponse(issued_zip(conventions), as_attachment=True, filename=f"{name}.zip")


@admin.register(Tariff)
class TariffAdmin(
    ScopedAdminMixin, RefusedActionMixin, KeepUsedRowsMixin, FrenchWordingMixin, HistoryAdmin
):
    scope_path = "academie"
    form = TariffForm
    list_display = ["school_year", "academie", "rate"]
    list_filter = ["school_year", "academie"]
    search_fields = ["school_year__label", "academie__name"]
    list_select_related = ["school_year", "academie"]


@admin.register(Signatory)
class SignatoryAdmin(
    ScopedAdminMixin, RefusedActionMixin, KeepUsedRowsMixin, FrenchWordingMixin, HistoryAdmin
):
    scope_path = "academie"
    list_display = ["name", "academie", "school_year", "first_title"]
    list_filter = ["school_year", "academie"]
    search_fields = ["name", "title_lines"]
    list_select_related = ["school_year", "academie"]

    @admin.display(description="qualité")
    def first_title(self, obj):
        return obj.titles[0] if obj.titles else ""


@admin.register(ConventionTemplate)
class ConventionTemplateAdmin(
    ScopedAdminMixin, RefusedActionMixin, KeepUsedRowsMixin, FrenchWordingMixin, HistoryAdmin
):
    scope_path = "academie"
    scope_shared = True
    list_display = ["name", "school_year", "academie_display"]
    list_filter = ["school_year", "academie"]
    search_fields = ["name", "body"]
    list_select_related = ["school_year", "academie"]
    change_form_template = "admin/conventions/conventiontemplate/change_form.html"

    @admin.display(description="académie", ordering="academie__name")
    def academie_display(self, obj):
        return obj.academie or "toutes"

    def get_urls(self):
        return [
            *admin_paths(
                self,
                [
                    ("<int:pk>/preview/", self.preview_view, "preview"),
                    ("<int:pk>/duplicate/", self.duplicate_view, "duplicate"),
                ],
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk):
        template = get_object_or_404(
            ConventionTemplate.objects.select_related("school_year", "academie"), pk=pk
        )
        if not self.has_view_permission(request, template):
            raise PermissionDenied
        try:
            pdf = ConventionDocument.sample(template).render(draft=True)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:conventions_conventiontemplate_change", args=[pk])
            )
        return pdf_response(pdf, f"apercu-{template.school_year}.pdf", attachment=False)

    def duplicate_view(self, request, pk):
        template = get_object_or_404(ConventionTemplate, pk=pk)
        # A template common to both académies is copied by region agents only.
        if not (
            self.has_add_permission(request) and self.has_change_permission(request, template)
        ):
            raise PermissionDenied
        if request.method != "POST":
            raise Http404
        try:
            copy = template.duplicate_for_next_year()
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:conventions_conventiontemplate_change", args=[pk])
            )
        self.message_user(
            request, f"Modèle copié pour {copy.school_year} : relisez-le.", messages.SUCCESS
        )
        return HttpResponseRedirect(
            reverse("admin:conventions_conventiontemplate_change", args=[copy.pk])
        )
