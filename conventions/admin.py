from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from communes.models import Academie
from conventions.access_links import portal_url, send_access_link
from conventions.enums import ConventionStatus
from conventions.fees import Fee
from conventions.models import Convention, Enrollment, SchoolYear, Signatory, Tariff
from conventions.templatetags.money import euros

# Statuses staff may set by hand from the convention page; issuing and billing have their
# own workflows.
MANUAL_TRANSITIONS = [
    (ConventionStatus.ENVOYEE, "Marquer comme envoyée"),
    (ConventionStatus.SIGNEE_COLLECTIVITE, "Marquer signée par la collectivité"),
    (ConventionStatus.SIGNEE_ACADEMIE, "Marquer signée par l'académie"),
]


class TariffInline(admin.TabularInline):
    model = Tariff
    extra = 0
    fields = ["academie", "rate"]


class SignatoryInline(admin.StackedInline):
    model = Signatory
    extra = 0
    fields = ["academie", "name", "title_lines"]


@admin.register(SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):
    list_display = ["label", "end_date"]
    search_fields = ["label"]
    inlines = [TariffInline, SignatoryInline]


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ["school_year", "academie", "rate"]
    list_filter = ["school_year", "academie"]
    search_fields = ["school_year__label", "academie__name"]
    list_select_related = ["school_year", "academie"]


@admin.register(Signatory)
class SignatoryAdmin(admin.ModelAdmin):
    list_display = ["name", "academie", "school_year", "first_title"]
    list_filter = ["school_year", "academie"]
    search_fields = ["name", "title_lines"]
    list_select_related = ["school_year", "academie"]

    @admin.display(description="qualité")
    def first_title(self, obj):
        return obj.titles[0] if obj.titles else ""


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
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
            .select_related("school__commune__departement", "convention__collectivite")
        )

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


class StatusFilter(admin.SimpleListFilter):
    title = "statut"
    parameter_name = "statut"

    def lookups(self, request, model_admin):
        return ConventionStatus.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


@admin.register(Convention)
class ConventionAdmin(admin.ModelAdmin):
    list_display = [
        "commune",
        "collectivite",
        "school_year",
        "academie",
        "status_badge",
        "school_count_display",
        "amount_display",
        "outside_flag",
    ]
    list_filter = [
        "school_year",
        "academie",
        StatusFilter,
        "collectivite__kind",
        "commune__departement",
    ]
    search_fields = [
        "commune__name",
        "commune__insee_code",
        "collectivite__name",
        "collectivite__siret",
        "schools__uai",
    ]
    list_select_related = ["collectivite", "commune", "school_year", "academie"]
    autocomplete_fields = ["collectivite", "commune", "replaces"]
    inlines = [EnrollmentInline]
    list_per_page = 50
    date_hierarchy = "created_at"
    readonly_fields = [
        "reference",
        "status",
        "fee_display",
        "issued_at",
        "sent_at",
        "signed_by_collectivite_at",
        "signed_by_academie_at",
        "invoiced_at",
        "cancelled_at",
        "cancel_reason",
        "link_state",
        "link_created_at",
        "link_sent_at",
        "signed_copy_link",
        "act_date",
        "act_identifier",
        "signed_uploaded_at",
    ]
    actions = ["send_link", "regenerate_link", "revoke_link"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference",
                    "collectivite",
                    "commune",
                    "school_year",
                    "academie",
                    "document_date",
                    "replaces",
                ]
            },
        ),
        ("Participation financière", {"fields": ["fee_display"]}),
        (
            "Suivi",
            {
                "fields": [
                    "status",
                    "issued_at",
                    "sent_at",
                    "signed_by_collectivite_at",
                    "signed_by_academie_at",
                    "invoiced_at",
                    "cancelled_at",
                    "cancel_reason",
                ]
            },
        ),
        (
            "Lien privé de la collectivité",
            {"fields": ["link_state", "link_created_at", "link_sent_at"]},
        ),
        (
            "Convention signée par la collectivité",
            {"fields": ["signed_copy_link", "act_date", "act_identifier", "signed_uploaded_at"]},
        ),
    ]
    change_form_template = "admin/conventions/convention/change_form.html"

    class Media:
        js = ["conventions/admin/fee.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_list()

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "fee-preview/",
                self.admin_site.admin_view(self.fee_preview),
                name="{}_{}_fee_preview".format(*info),
            ),
            path(
                "<int:pk>/transition/<str:status>/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            path(
                "<int:pk>/signed-copy/",
                self.admin_site.admin_view(self.signed_copy_view),
                name="{}_{}_signed_copy".format(*info),
            ),
            path(
                "<int:pk>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="{}_{}_cancel".format(*info),
            ),
            *super().get_urls(),
        ]

    # Display ---------------------------------------------------------------------------

    @admin.display(description="référence")
    def reference(self, obj):
        return obj.reference if obj.pk else "attribuée à l'enregistrement"

    @admin.display(description="statut", ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span class="entconv-status entconv-status--{}">{}</span>',
            obj.status,
            obj.get_status_display(),
        )

    @admin.display(description="écoles", ordering="school_count")
    def school_count_display(self, obj):
        return obj.get_school_count()

    @admin.display(description="montant")
    def amount_display(self, obj):
        try:
            return euros(obj.fee.amount)
        except ValidationError:
            return format_html('<span class="entconv-flag">{}</span>', "tarif manquant")

    @admin.display(description="hors périmètre")
    def outside_flag(self, obj):
        if getattr(obj, "has_outside_school", False):
            return format_html(
                '<span class="entconv-flag" title="{}">⚠</span>',
                "au moins une école hors des communes couvertes",
            )
        return ""

    @admin.display(description="participation")
    def fee_display(self, obj):
        if not obj.pk:
            return format_html('<span id="entconv-fee">{}</span>', "—")
        try:
            text = str(obj.fee)
        except ValidationError as error:
            text = " ".join(error.messages)
        return format_html('<span id="entconv-fee">{}</span>', text)

    @admin.display(description="lien privé")
    def link_state(self, obj):
        if obj.has_access_link:
            return "actif (envoyé par e-mail ; seule son empreinte est conservée)"
        return "aucun lien actif"

    @admin.display(description="exemplaire signé")
    def signed_copy_link(self, obj):
        if not obj.signed_pdf:
            return "—"
        return format_html(
            '<a href="{}">Télécharger la convention signée (PDF)</a>',
            reverse("admin:conventions_convention_signed_copy", args=[obj.pk]),
        )

    # Actions ---------------------------------------------------------------------------

    @admin.action(description="Envoyer le lien")
    def send_link(self, request, queryset):
        for convention in queryset.select_related("collectivite", "commune", "school_year"):
            try:
                send_access_link(convention)
            except ValidationError as error:
                self.message_user(
                    request,
                    f"{convention.reference} : {' '.join(error.messages)}",
                    messages.ERROR,
                )
            except OSError as error:
                # smtplib's errors are OSErrors; the transaction left nothing recorded.
                self.message_user(
                    request,
                    f"{convention.reference} : l'envoi de l'e-mail a échoué ({error}) ; "
                    "aucun lien n'a été enregistré, réessayez plus tard.",
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    f"{convention.reference} : lien envoyé à "
                    f"{', '.join(convention.collectivite.email_list())}.",
                    messages.SUCCESS,
                )

    @admin.action(description="Générer un nouveau lien (sans l'envoyer)")
    def regenerate_link(self, request, queryset):
        for convention in queryset.select_related("school_year", "commune", "academie"):
            try:
                token = convention.new_access_link()
            except ValidationError as error:
                self.message_user(
                    request,
                    f"{convention.reference} : {' '.join(error.messages)}",
                    messages.ERROR,
                )
            else:
                # Shown once: only the hash is stored.
                self.message_user(
                    request,
                    f"{convention.reference} : nouveau lien (l'ancien ne fonctionne plus) : "
                    f"{portal_url(token)}",
                    messages.SUCCESS,
                )

    @admin.action(description="Révoquer le lien")
    def revoke_link(self, request, queryset):
        count = queryset.revoke_access_links()
        self.message_user(request, f"{count} lien(s) révoqué(s).", messages.SUCCESS)

    # Views -----------------------------------------------------------------------------

    def signed_copy_view(self, request, pk):
        convention = get_object_or_404(Convention.objects.select_related("commune"), pk=pk)
        if not self.has_view_permission(request, convention) or not convention.signed_pdf:
            raise Http404
        return FileResponse(
            convention.signed_pdf.open("rb"),
            as_attachment=True,
            filename=f"{convention.reference}-signee.pdf",
            content_type="application/pdf",
        )

    def fee_preview(self, request):
        try:
            count = int(request.GET.get("count", "0"))
            school_year = SchoolYear.objects.get(pk=request.GET.get("school_year"))
            academie = Academie.objects.get(pk=request.GET.get("academie"))
        except (ValueError, SchoolYear.DoesNotExist, Academie.DoesNotExist):
            return JsonResponse({"text": "choisissez l'année et l'académie"})
        tariff = Tariff.objects.filter(school_year=school_year, academie=academie).first()
        if tariff is None:
            return JsonResponse(
                {"text": f"Aucun tarif n'est défini pour {school_year} et l'{academie}."}
            )
        return JsonResponse({"text": str(Fee(school_count=max(count, 0), rate=tariff.rate))})

    def transition_view(self, request, pk, status):
        convention = get_object_or_404(Convention, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, convention):
            raise Http404
        if status not in dict(MANUAL_TRANSITIONS):
            raise Http404
        try:
            convention.transition_to(status)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Convention {convention.reference} : "
                f"statut « {convention.get_status_display()} ».",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:conventions_convention_change", args=[convention.pk])
        )

    def cancel_view(self, request, pk):
        convention = get_object_or_404(Convention, pk=pk)
        if not self.has_change_permission(request, convention):
            raise Http404
        error = None
        if request.method == "POST":
            try:
                convention.transition_to(
                    ConventionStatus.ANNULEE, reason=request.POST.get("reason", "")
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                self.message_user(
                    request, f"Convention {convention.reference} annulée.", messages.SUCCESS
                )
                return HttpResponseRedirect(
                    reverse("admin:conventions_convention_change", args=[convention.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": convention,
            "title": f"Annuler la convention {convention.reference}",
            "error": error,
        }
        return TemplateResponse(request, "admin/conventions/convention/cancel.html", context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["manual_transitions"] = [
                (status, label)
                for status, label in MANUAL_TRANSITIONS
                if obj.can_transition_to(status)
            ]
            context["can_cancel"] = obj.can_transition_to(ConventionStatus.ANNULEE)
        return super().render_change_form(request, context, add, change, form_url, obj)
