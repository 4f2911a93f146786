from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from import_export.admin import ExportMixin
from import_export.forms import ExportForm

from communes.admin_actions import RefusedActionMixin
from communes.admin_history import HistoryAdmin
from communes.admin_scope import ScopedAdminMixin
from communes.admin_wording import FrenchWordingMixin
from communes.changelists import ChangelistRowsMixin
from communes.french import counted, pluralize
from conventions import billing
from conventions.admin.action_confirmation import confirmation_page, confirmed
from conventions.admin.common import LongDatesMixin, status_badge
from conventions.enums import TitreStatus
from conventions.exports import TitreResource, TitresCSV, TitresXLSX
from conventions.models import (
    Titre,
)
from conventions.templatetags.money import euros

# Titres de perception ------------------------------------------------------------------


class MarkPaidForm(forms.Form):
    # An <input type="date"> only takes ISO dates: the French "02/12/2026" would leave it
    # empty. The browser sends ISO back; typed French dates are still accepted.
    paid_on = forms.DateField(
        label="Date de paiement",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    amount_paid = forms.DecimalField(
        label="Montant payé (€)",
        max_digits=10,
        decimal_places=2,
        required=False,
        # Read the French way ("100,50"), as the tariff is: see TariffForm.
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
        help_text=(
            "Laisser vide si tout ce qui restait dû a été payé ; un montant inférieur laisse "
            "le titre partiellement payé, un montant supérieur sera signalé dans la liste."
        ),
    )


class CancelTitreForm(forms.Form):
    reason = forms.CharField(
        label="Motif de l'annulation", widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class TitresExportForm(ExportForm):
    """A clear format choice, xlsx first and chosen (import-export offers "---")."""

    LABELS = {
        "xlsx": "Excel (xlsx)",
        "csv": "CSV pour Excel ou un logiciel comptable (csv)",
    }

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        field = self.fields["format"]
        field.label = "Format du fichier"
        titles = {str(i): file_format().get_title() for i, file_format in enumerate(formats)}
        field.choices = sorted(
            ((value, self.LABELS.get(title, title)) for value, title in titles.items()),
            key=lambda choice: choice[1] != self.LABELS["xlsx"],
        )
        field.initial = field.choices[0][0]
        field.help_text = (
            "Excel garde les montants et les dates en nombres, avec une feuille « Synthèse » ; "
            "le CSV (séparateur point-virgule) s'ouvre aussi dans Excel."
        )


@admin.register(Titre)
class TitreAdmin(
    ScopedAdminMixin,
    RefusedActionMixin,
    FrenchWordingMixin,
    LongDatesMixin,
    ChangelistRowsMixin,
    ExportMixin,
    HistoryAdmin,
):
    scope_path = "academie"
    long_dates = ["issue_date", "paid_on", "cancelled_at"]
    resource_classes = [TitreResource]
    formats = [TitresCSV, TitresXLSX]
    export_form_class = TitresExportForm
    export_template_name = "admin/conventions/titre/export.html"
    # What an empty list says; import-export wraps it with its "Exporter" button.
    change_list_template = "admin/conventions/titre/change_list.html"
    # What the accountant reads first (who, how much, where it stands) comes first, so that
    # it shows without horizontal scrolling on a laptop; the others scroll within the list.
    list_display = [
        "number_display",
        "debtor_name",
        "amount_display",
        "titre_status",
        "issue_date",
        "paid_on",
        "amount_paid_display",
        "exercice_display",
        "academie",
        "school_year",
    ]
    list_filter = [
        "exercice",
        "academie",
        "status",
        "convention__school_year",
        "convention__commune__departement",
    ]
    search_fields = [
        "number",
        "debtor_name",
        "debtor_siret",
        "convention__commune__name",
        "convention__commune__insee_code",
    ]
    list_select_related = ["academie", "convention__school_year"]
    list_per_page = 50
    actions = ["issue_selected", "mark_paid_selected", "cancel_selected"]
    fieldsets = [
        (
            None,
            {"fields": ["number", "status", "exercice_page", "issue_date", "convention_link"]},
        ),
        (
            "Débiteur",
            {
                "fields": [
                    "debtor_name",
                    "debtor_siret",
                    "debtor_address",
                    "debtor_service_code",
                    "debtor_engagement_number",
                ]
            },
        ),
        (
            "Objet et montant",
            {"fields": ["object", "school_count", "rate_display", "amount_display"]},
        ),
        (
            "Paiement",
            {"fields": ["paid_on", "amount_paid_display", "cancelled_at", "cancel_reason"]},
        ),
    ]
    readonly_fields = [
        "number",
        "status",
        "exercice_page",
        "issue_date",
        "convention_link",
        "debtor_name",
        "debtor_siret",
        "debtor_address",
        "debtor_service_code",
        "debtor_engagement_number",
        "object",
        "school_count",
        "rate_display",
        "amount_display",
        "paid_on",
        "amount_paid_display",
        "cancelled_at",
        "cancel_reason",
    ]

    # Titres are written by their workflow only, and never deleted: their numbers must
    # stay without gaps.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("conventions.export_titre")

    def has_issue_permission(self, request):
        return request.user.has_perm("conventions.issue_titre")

    def has_mark_paid_permission(self, request):
        return request.user.has_perm("conventions.mark_paid_titre")

    def has_cancel_permission(self, request):
        return request.user.has_perm("conventions.cancel_titre")

    def init_request_context_data(self, request, form):
        context = super().init_request_context_data(request, form)
        count = self.get_export_queryset(request).count()
        context.update(
            title="Exporter les titres de perception",
            intro=(
                f"{counted(count, 'titre')} de perception, ceux de la liste avec ses filtres "
                "et sa recherche, avec le total des montants."
            ),
        )
        return context

    def get_export_filename(self, request, queryset, file_format):
        return f"titres-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"

    # Display ---------------------------------------------------------------------------

    @admin.display(description="numéro", ordering="sequence")
    def number_display(self, obj):
        return obj.number or "à attribuer"

    # A year, not a quantity: the admin would print an integer field as "2 026".
    @admin.display(description="exercice", ordering="exercice")
    def exercice_display(self, obj):
        return str(obj.exercice) if obj.exercice else None

    # A titre not issued yet has no exercice: its read-only page would print "None".
    @admin.display(description="exercice")
    def exercice_page(self, obj):
        return self.exercice_display(obj) or "fixé à l'émission"

    @admin.display(description="tarif unitaire", ordering="rate")
    def rate_display(self, obj):
        return euros(obj.rate)

    @admin.display(description="année scolaire", ordering="convention__school_year__label")
    def school_year(self, obj):
        return obj.convention.school_year

    @admin.display(description="montant TTC", ordering="amount")
    def amount_display(self, obj):
        return euros(obj.amount)

    @admin.display(description="statut", ordering="status")
    def titre_status(self, obj):
        return status_badge(obj)

    @admin.display(description="montant payé", ordering="amount_paid")
    def amount_paid_display(self, obj):
        if obj.amount_paid is None:
            return ""
        if obj.status == TitreStatus.PARTIEL:
            return f"{euros(obj.amount_paid)} (reste dû {euros(obj.remaining)})"
        if obj.payment_differs:
            return format_html(
                '<span class="entconv-flag" title="{}">⚠ {}</span>',
                f"différent du montant dû ({euros(obj.amount)})",
                euros(obj.amount_paid),
            )
        return euros(obj.amount_paid)

    @admin.display(description="convention")
    def convention_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:conventions_convention_change", args=[obj.convention_id]),
            obj.convention.reference,
        )

    # Actions ---------------------------------------------------------------------------

    def report(self, request, done, errors, singular, plural):
        if done:
            self.message_user(
                request, f"{done} {singular if done == 1 else plural}.", messages.SUCCESS
            )
        for error in errors:
            self.message_user(request, error, messages.ERROR)

    def confirm(self, request, queryset, action, form, title, template):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "titres": queryset.select_related("academie"),
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, f"admin/conventions/titre/{template}.html", context)

    @admin.action(description="Émettre les titres sélectionnés", permissions=["issue"])
    def issue_selected(self, request, queryset):
        if not confirmed(request):
            titres = queryset.select_related("academie").order_by("pk")
            count = len(titres)
            return confirmation_page(
                self,
                request,
                title="Émettre des titres de perception",
                intro=(
                    f"Vous allez émettre {count} titre{pluralize(count)} de perception : "
                    f"chacun reçoit son numéro définitif, sans trou ni réattribution, et sa "
                    "convention passe « facturée »."
                ),
                warning="Un titre émis ne peut plus être supprimé, seulement annulé.",
                rows=[
                    f"{titre} – {titre.debtor_name} – {euros(titre.amount)} "
                    f"({titre.get_status_display()})"
                    for titre in titres
                ],
            )
        done, errors = 0, []
        for titre in queryset.order_by("pk"):
            try:
                billing.issue(titre)
            except ValidationError as error:
                errors.append(" ".join(error.messages))
            else:
                done += 1
        self.report(request, done, errors, "titre émis", "titres émis")

    @admin.action(description="Marquer payés…", permissions=["mark_paid"])
    def mark_paid_selected(self, request, queryset):
        form = MarkPaidForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done, partly, errors = 0, 0, []
            for titre in queryset.order_by("pk"):
                try:
                    titre = billing.mark_paid(
                        titre,
                        paid_on=form.cleaned_data["paid_on"],
                        amount=form.cleaned_data["amount_paid"],
                    )
                except ValidationError as error:
                    errors.append(" ".join(error.messages))
                else:
                    if titre.status == TitreStatus.PARTIEL:
                        partly += 1
                    else:
                        done += 1
            self.report(request, done, errors, "titre marqué payé", "titres marqués payés")
            self.report(
                request, partly, [], "titre partiellement payé", "titres partiellement payés"
            )
            return None
        if not form.is_bound:
            form = MarkPaidForm(initial={"paid_on": timezone.localdate()})
        return self.confirm(
            request, queryset, "mark_paid_selected", form, "Marquer des titres payés", "mark_paid"
        )

    @admin.action(description="Annuler les titres…", permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        form = CancelTitreForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done, errors = 0, []
            for titre in queryset.order_by("pk"):
                try:
                    billing.cancel(titre, reason=form.cleaned_data["reason"])
                except ValidationError as error:
                    errors.append(" ".join(error.messages))
                else:
                    done += 1
            self.report(request, done, errors, "titre annulé", "titres annulés")
            return None
        return self.confirm(
            request, queryset, "cancel_selected", form, "Annuler des titres", "cancel"
        )
