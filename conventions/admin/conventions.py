from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from communes.admin_actions import RefusedActionMixin
from communes.admin_history import HistoryAdmin
from communes.admin_links import ReadonlyLinksFollowPermissionsMixin
from communes.admin_scope import ScopedAdminMixin, refuse
from communes.admin_wording import FrenchInlineMixin, FrenchWordingMixin
from communes.changelists import ChangelistRowsMixin, SortedIdsPaginator
from communes.models import Academie
from communes.scope import in_scope, scope_for
from conventions import billing
from conventions.access_links import portal_url, send_access_link
from conventions.admin.common import (
    MANUAL_TRANSITIONS,
    STATUS_LABELS,
    UAI_RE,
    LongDatesMixin,
    admin_paths,
    issued_zip,
    pdf_response,
    status_badge,
)
from conventions.admin.confirmation import ConfirmationAdminMixin
from conventions.admin.convention_page import ConventionForm, ConventionPageMixin
from conventions.admin.follow_up import FollowUpMixin, ReadReceiptFilter, ReminderFilter
from conventions.admin.history import ConventionHistoryMixin
from conventions.enums import STATUS_DATE_FIELDS, ConventionStatus
from conventions.fees import Fee
from conventions.issuing import cancel_and_replace, issue, issued_pdf
from conventions.models import (
    Convention,
    Enrollment,
    IssuingBatch,
    SchoolYear,
    Tariff,
)
from conventions.pdf import ConventionDocument
from conventions.templatetags.dates import long_datetime
from conventions.templatetags.money import euros


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


class EnrollmentInline(ScopedAdminMixin, FrenchInlineMixin, admin.TabularInline):
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

    @admin.action(
        description="Émettre en arrière-plan les brouillons sélectionnés", permissions=["issue"]
    )
    def issue_in_background(self, request, queryset):
        from conventions.tasks import issue_in_background

        years = set(queryset.values_list("school_year", flat=True).distinct())
        if len(years) != 1:
            self.message_user(
                request, "Sélectionnez les conventions d'une seule année scolaire.", messages.ERROR
            )
            return None
        ids = list(queryset.filter(status=ConventionStatus.BROUILLON).values_list("pk", flat=True))
        batch = IssuingBatch.objects.create(
            school_year_id=years.pop(), convention_ids=ids, total=len(ids), created_by=request.user
        )
        result = issue_in_background.enqueue(batch.pk)
        IssuingBatch.objects.filter(pk=batch.pk).update(task_id=str(result.id))
        self.message_user(
            request,
            format_html(
                "{} brouillon(s) à émettre en arrière-plan : suivez l'avancement dans "
                '<a href="{}">Émissions en arrière-plan</a>.',
                len(ids),
                reverse("admin:conventions_issuingbatch_change", args=[batch.pk]),
            ),
            messages.SUCCESS,
        )
        return None

    # The ZIP is how the rectorat archives and forwards a batch; an accountant opens each
    # convention's PDF from its page.
    @admin.action(description="Télécharger les PDF émis (ZIP)", permissions=["change"])
    def download_zip(self, request, queryset):
        conventions = (
            queryset.issued()
            .select_related("school_year", "academie", "commune")
            .order_by("academie__code", "commune__insee_code")
        )
        return FileResponse(
            issued_zip(conventions), as_attachment=True, filename="conventions-emises.zip"
        )

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

    @admin.action(description="Envoyer le lien", permissions=["send_link"])
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

    @admin.action(
        description="Générer un nouveau lien (sans l'envoyer)", permissions=["send_link"]
    )
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

    @admin.action(description="Révoquer le lien", permissions=["send_link"])
    def revoke_link(self, request, queryset):
        count = queryset.revoke_access_links()
        self.message_user(request, f"{count} lien(s) révoqué(s).", messages.SUCCESS)

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

    @admin.action(description="Supprimer les brouillons sélectionnés", permissions=["delete"])
    def delete_selected(self, request, queryset):
        kept = list(queryset.undeletable().select_related("school_year", "academie", "commune"))
        if kept:
            # Each row's real status, and the advice agreed in number (a cancelled one is
            # already the record that replaces a deletion).
            if len(kept) == 1:
                convention = kept[0]
                advice = (
                    "elle reste enregistrée"
                    if convention.status == ConventionStatus.ANNULEE
                    else "annulez-la plutôt"
                )
                refused = (
                    f"{convention.reference} est {convention.get_status_display()} : {advice}"
                )
            else:
                refused = (
                    ", ".join(
                        f"{convention.reference} ({convention.get_status_display()})"
                        for convention in kept[:20]
                    )
                    + f"{' …' if len(kept) > 20 else ''} ne sont pas des brouillons : "
                    + (
                        "elles restent enregistrées"
                        if all(c.status == ConventionStatus.ANNULEE for c in kept)
                        else "annulez-les plutôt"
                    )
                )
            self.message_user(
                request,
                "Suppression refusée : seuls les brouillons se suppriment ; "
                f"{refused}. Rien n'a été supprimé.",
                messages.ERROR,
            )
            return None
        return delete_selected(self, request, queryset)

    def delete_model(self, request, obj):
        obj.delete_files_on_commit()
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for convention in queryset:
            convention.delete_files_on_commit()
        super().delete_queryset(request, queryset)

    @admin.action(
        description="Préparer les titres de perception, à vérifier avant émission",
        permissions=["issue_titre"],
    )
    def prepare_titres(self, request, queryset):
        # Numbers are never given back: accountants may want to review debtors and amounts
        # in the titres list before numbering them with "Émettre les titres sélectionnés".
        billable = queryset.billable().select_related("collectivite", "school_year", "academie")
        prepared = 0
        for convention in billable.order_by("pk"):
            try:
                billing.prepare_titre(convention)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                prepared += 1
        if prepared:
            self.message_user(
                request,
                f"{prepared} titre{pluralize(prepared)} à émettre préparé{pluralize(prepared)}.",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                "Aucun titre préparé : les conventions sélectionnées ne sont pas signées par "
                "les deux parties, ou ont déjà un titre.",
                messages.WARNING,
            )

    @admin.action(
        description="Émettre les titres de perception (conventions signées)",
        permissions=["issue_titre"],
    )
    def issue_titres(self, request, queryset):
        billable = queryset.billable().select_related("collectivite", "school_year", "academie")
        done, errors = 0, []
        for _convention, titre, error in billing.issue_titres(billable.order_by("pk")):
            if titre:
                done += 1
            else:
                errors.append(error)
        skipped = queryset.count() - done - len(errors)
        if not done and not errors:
            self.message_user(
                request,
                "Aucun titre émis : les conventions sélectionnées ne sont pas signées par les "
                "deux parties, ou sont déjà facturées.",
                messages.WARNING,
            )
            return
        self.message_user(
            request,
            f"{done} titre{pluralize(done)} émis"
            + (
                f" ; {skipped} convention{pluralize(skipped)} ignorée{pluralize(skipped)} "
                "(non signée par les deux parties, ou déjà facturée)"
                if skipped
                else ""
            )
            + ".",
            messages.SUCCESS if done else messages.WARNING,
        )
        for error in errors:
            self.message_user(request, error, messages.ERROR)

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
