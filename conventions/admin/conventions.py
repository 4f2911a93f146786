from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from communes.admin_actions import RefusedActionMixin
from communes.admin_history import HistoryAdmin
from communes.admin_links import NoRelatedDeletionMixin, ReadonlyLinksFollowPermissionsMixin
from communes.admin_scope import ScopedAdminMixin, refuse
from communes.admin_wording import FrenchWordingMixin
from communes.changelists import ChangelistRowsMixin, SortedIdsPaginator
from communes.models import Academie
from communes.scope import in_scope, scope_for
from conventions.admin.common import (
    MANUAL_TRANSITIONS,
    STATUS_LABELS,
    UAI_RE,
    LongDatesMixin,
    admin_paths,
    pdf_response,
    status_badge,
)
from conventions.admin.confirmation import ConfirmationAdminMixin
from conventions.admin.convention_actions import ConventionActionsMixin
from conventions.admin.convention_page import ConventionForm, ConventionPageMixin
from conventions.admin.empty_lists import EmptyYearHelpMixin
from conventions.admin.enrollment_inline import EnrollmentInline
from conventions.admin.follow_up import FollowUpMixin, ReadReceiptFilter, ReminderFilter
from conventions.admin.history import ConventionHistoryMixin
from conventions.enums import STATUS_DATE_FIELDS, ConventionStatus
from conventions.fees import Fee
from conventions.issuing import cancel_and_replace, issue, issued_pdf
from conventions.models import (
    Convention,
    Enrollment,
    SchoolYear,
    Tariff,
)
from conventions.pdf import ConventionDocument
from conventions.templatetags.dates import long_datetime
from conventions.templatetags.money import euros


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
class ConventionAdmin(
    ScopedAdminMixin,
    NoRelatedDeletionMixin,
    EmptyYearHelpMixin,
    ConventionActionsMixin,
    ReadonlyLinksFollowPermissionsMixin,
    RefusedActionMixin,
    ConfirmationAdminMixin,
    ConventionPageMixin,
    FollowUpMixin,
    FrenchWordingMixin,
    LongDatesMixin,
    ChangelistRowsMixin,
    ConventionHistoryMixin,
    HistoryAdmin,
):
    scope_path = "academie"
    form = ConventionForm
    feminine = True
    long_dates = ["act_date", "link_created_at", "link_sent_at", "signed_uploaded_at"]
    # Key columns first: at 1366 px, with the sidebar and the filters open, they stay in
    # sight and the others scroll within the list.
    list_display = [
        "commune",
        "status_badge",
        "school_count_display",
        "amount_display",
        "school_year",
        "collectivite",
        "academie",
        "outside_flag",
        "follow_up",
    ]
    list_filter = [
        "school_year",
        "academie",
        StatusFilter,
        "collectivite__kind",
        "commune__departement",
        ReadReceiptFilter,
        ReminderFilter,
    ]
    search_fields = [
        "commune__name",
        "commune__insee_code",
        "collectivite__name",
        "collectivite__siret",
    ]
    list_select_related = ["collectivite", "commune", "school_year", "academie"]
    autocomplete_fields = ["collectivite", "commune", "replaces"]
    inlines = [EnrollmentInline]
    list_per_page = 50
    paginator = SortedIdsPaginator
    readonly_fields = [
        "reference",
        "status",
        "fee_display",
        "timeline",
        "event_timeline",
        "cancel_reason",
        "issued_school_labels_display",
        "issued_signatory_display",
        "issued_template",
        "pdf_sha256",
        "link_state",
        "link_created_at",
        "link_sent_at",
        "read_receipt",
        "reminders_display",
        "signed_copy_link",
        "act_date",
        "act_identifier",
        "signed_uploaded_at",
    ]
    actions = [
        "issue_in_background",
        "download_zip",
        "send_link",
        "send_for_confirmation",
        "regenerate_link",
        "revoke_link",
        "prepare_titres",
        "issue_titres",
        "delete_selected",
    ]
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
            "Document émis",
            {
                "fields": [
                    "issued_school_labels_display",
                    "issued_signatory_display",
                    "issued_template",
                    "pdf_sha256",
                ]
            },
        ),
        ("Suivi", {"fields": ["status", "timeline", "cancel_reason"]}),
        (
            "Lien privé de la collectivité",
            {
                "fields": [
                    "link_state",
                    "link_created_at",
                    "link_sent_at",
                    "read_receipt",
                    "reminders_display",
                ]
            },
        ),
        (
            "Convention signée par la collectivité",
            {"fields": ["signed_copy_link", "act_date", "act_identifier", "signed_uploaded_at"]},
        ),
    ]
    change_form_template = "admin/conventions/convention/change_form.html"

    class Media:
        js = ["conventions/admin/fee.js", "conventions/admin/confirm.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_list()

    def get_search_results(self, request, queryset, search_term):
        # A UAI finds the convention enrolling that school. Searched through EXISTS rather
        # than `schools__uai` in search_fields, which would force a DISTINCT on every search.
        terms = search_term.split()
        uais = [term.upper() for term in terms if UAI_RE.match(term.upper())]
        if uais and len(uais) == len(terms):
            # Only UAIs: no name, INSEE code or SIRET looks like one, so skip the text search
            # and its scan of every convention; the enrollments' index answers.
            enrolled = Enrollment.objects.filter(school__uai__in=uais).values("convention")
            return queryset.filter(pk__in=enrolled), False
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if uais:
            enrolled = Enrollment.objects.filter(convention=OuterRef("pk"), school__uai__in=uais)
            queryset |= self.get_queryset(request).filter(Exists(enrolled))
        return queryset, may_have_duplicates

    def get_urls(self):
        return [
            *admin_paths(
                self,
                [
                    ("fee-preview/", self.fee_preview, "fee_preview"),
                    ("<int:pk>/transition/<str:status>/", self.transition_view, "transition"),
                    ("<int:pk>/signed-copy/", self.signed_copy_view, "signed_copy"),
                    ("<int:pk>/cancel/", self.cancel_view, "cancel"),
                    ("<int:pk>/preview/", self.preview_view, "preview"),
                    ("<int:pk>/issue/", self.issue_view, "issue"),
                    ("<int:pk>/pdf/", self.download_view, "pdf"),
                    ("<int:pk>/send-link/", self.send_link_view, "send_link"),
                    ("<int:pk>/open-schools/", self.open_schools_view, "open_schools"),
                ],
            ),
            *super().get_urls(),
        ]

    # Display ---------------------------------------------------------------------------

    @admin.display(description="référence")
    def reference(self, obj):
        return obj.reference if obj.pk else "attribuée à l'enregistrement"

    @admin.display(description="étapes")
    def timeline(self, obj):
        steps = [
            (STATUS_LABELS[status], getattr(obj, field))
            for status, field in STATUS_DATE_FIELDS.items()
            if getattr(obj, field)
        ]
        if not steps:
            return "aucune étape franchie (brouillon)"
        return format_html_join(
            "",
            "<div>{} : {}</div>",
            ((label, long_datetime(at)) for label, at in steps),
        )

    @admin.display(description="statut", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj)

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

    @admin.display(description="écoles imprimées")
    def issued_school_labels_display(self, obj):
        if not obj.is_issued:
            return "— (figées à l'émission)"
        return format_html(
            "<ol>{}</ol>",
            format_html_join("", "<li>{}</li>", ((label,) for label in obj.issued_school_labels)),
        )

    @admin.display(description="signataire imprimé")
    def issued_signatory_display(self, obj):
        if not obj.is_issued:
            return "—"
        return format_html(
            "{}<br>{}",
            obj.issued_signatory_name,
            format_html_join(
                "", "{}<br>", ((line,) for line in obj.issued_signatory_titles.splitlines())
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.is_issued:
            # What the document printed: see Convention.frozen_changes() for the model side.
            return [
                *fields,
                "collectivite",
                "commune",
                "school_year",
                "academie",
                "document_date",
                "replaces",
            ]
        return fields

    # Views -----------------------------------------------------------------------------

    def preview_view(self, request, pk):
        convention = get_object_or_404(Convention, pk=pk)
        if not self.has_view_permission(request, convention):
            raise PermissionDenied
        try:
            pdf = ConventionDocument.for_draft(convention).render(draft=True)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:conventions_convention_change", args=[pk]))
        return pdf_response(pdf, f"projet-{convention.reference}.pdf", attachment=False)

    def download_view(self, request, pk):
        convention = get_object_or_404(Convention, pk=pk)
        if not self.has_view_permission(request, convention):
            raise PermissionDenied
        if not convention.is_issued:
            raise Http404
        return pdf_response(issued_pdf(convention), f"{convention.reference}.pdf", attachment=True)

    def issue_view(self, request, pk):
        convention = get_object_or_404(Convention, pk=pk)
        if not self.has_issue_permission(request, convention):
            raise PermissionDenied
        change_url = reverse("admin:conventions_convention_change", args=[pk])
        error = None
        if request.method == "POST":
            try:
                convention = issue(convention)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                self.message_user(
                    request,
                    f"Convention {convention.reference} émise "
                    f"({euros(convention.issued_amount)}) : son PDF est désormais figé.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        else:
            try:
                ConventionDocument.for_draft(convention)
            except ValidationError as exc:
                error = " ".join(exc.messages)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": convention,
            "title": f"Émettre la convention {convention.reference}",
            "error": error,
        }
        return TemplateResponse(request, "admin/conventions/convention/issue.html", context)

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

    # Views -----------------------------------------------------------------------------

    def signed_copy_view(self, request, pk):
        convention = get_object_or_404(Convention.objects.select_related("commune"), pk=pk)
        if not self.has_view_permission(request, convention):
            raise PermissionDenied
        if not convention.signed_pdf:
            raise Http404
        return FileResponse(
            convention.signed_pdf.open("rb"),
            as_attachment=True,
            filename=f"{convention.reference}-signee.pdf",
            content_type="application/pdf",
        )

    def fee_preview(self, request):
        # A help for filling the form: only for those who may fill it.
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        # The commune's département gives the académie: the form fills it from the answer.
        # Only the user's académies: another's commune or tariff is refused.
        scoped = in_scope(Academie.objects.all(), request.user, "pk")
        commune = request.GET.get("commune") or None
        academies = scoped.filter(departements__communes=commune)
        try:
            if (
                commune is not None
                and scope_for(request.user) is not None
                and not academies.exists()
            ):
                refuse(request, f"commune {commune}")
            count = int(request.GET.get("count", "0"))
            academie = academies.first() or scoped.get(pk=request.GET.get("academie"))
        except (ValueError, Academie.DoesNotExist):
            return JsonResponse({"text": "choisissez la commune et l'année"})
        try:
            school_year = SchoolYear.objects.get(pk=request.GET.get("school_year"))
        except (ValueError, SchoolYear.DoesNotExist):
            return JsonResponse({"text": "choisissez l'année", "academie": academie.pk})
        tariff = Tariff.objects.filter(school_year=school_year, academie=academie).first()
        if tariff is None:
            text = f"Aucun tarif n'est défini pour {school_year} et l'{academie}."
        else:
            text = str(Fee(school_count=max(count, 0), rate=tariff.rate))
        return JsonResponse({"text": text, "academie": academie.pk})

    def transition_view(self, request, pk, status):
        convention = get_object_or_404(Convention, pk=pk)
        if not self.has_change_status_permission(request, convention):
            raise PermissionDenied
        if request.method != "POST":
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
        replace = request.GET.get("remplacer") == "1"
        if not self.has_change_status_permission(request, convention) or (
            replace and not self.has_add_permission(request)
        ):
            raise PermissionDenied
        blocker = convention.cancellation_error()
        error = " ".join(blocker.messages) if blocker else None
        if request.method == "POST" and not blocker:
            reason = request.POST.get("reason", "")
            try:
                if replace:
                    replacement = cancel_and_replace(convention, reason)
                else:
                    convention.transition_to(ConventionStatus.ANNULEE, reason=reason)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                if replace:
                    self.message_user(
                        request,
                        f"Convention {convention.reference} annulée ; la convention de "
                        f"remplacement {replacement.reference} est ouverte en brouillon.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:conventions_convention_change", args=[replacement.pk])
                    )
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
            "blocked": blocker is not None,
            "replace": replace,
        }
        return TemplateResponse(request, "admin/conventions/convention/cancel.html", context)

    def has_issue_titre_permission(self, request):
        return request.user.has_perm("conventions.issue_titre")

    # Permissions -----------------------------------------------------------------------

    def has_issue_permission(self, request, obj=None):
        return request.user.has_perm("conventions.issue_convention")

    def has_send_link_permission(self, request, obj=None):
        return request.user.has_perm("conventions.send_link_convention")

    def has_change_status_permission(self, request, obj=None):
        return request.user.has_perm("conventions.change_status_convention")

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_deletable)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Read-only users (the accountants) see the convention, not buttons they may not use.
        if obj is not None and self.has_change_status_permission(request, obj):
            context["manual_transitions"] = [
                (status, label, status.label)
                for status, label in MANUAL_TRANSITIONS
                if obj.can_transition_to(status)
            ]
            context["can_cancel"] = obj.can_transition_to(ConventionStatus.ANNULEE)
            context["can_issue"] = obj.can_transition_to(
                ConventionStatus.EMISE
            ) and self.has_issue_permission(request, obj)
            context["can_send_link"] = obj.can_receive_access_link() and (
                self.has_send_link_permission(request, obj)
            )
            context["can_add_schools"] = not obj.is_issued and self.has_change_permission(
                request, obj
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
