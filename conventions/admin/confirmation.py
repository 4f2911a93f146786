"""The convention page's side of the mairie's confirmation: sending the draft for confirmation
(one convention, or a whole year and académie from the list), reading the answer's
differences with the draft, and accepting them in one click."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.template.response import TemplateResponse

from communes.french import pluralize
from conventions import confirmations
from conventions.admin.common import admin_paths
from conventions.enums import ConventionStatus
from conventions.models import MissingSchoolReport, SchoolConfirmation

CHANGE_LABELS = {
    "representative_name": "représentant",
    "representative_title": "qualité du représentant",
    "emails": "adresses e-mail",
}


def readable_changes(changes):
    """[(what, before, after)] for the template, schools apart."""
    rows = []
    for key, label in CHANGE_LABELS.items():
        if key in changes:
            before, after = changes[key]
            if key == "emails":
                before, after = ", ".join(before), ", ".join(after)
            rows.append((label, before or "—", after or "—"))
    return rows


class ConfirmationAdminMixin:
    def get_urls(self):
        return [
            *admin_paths(
                self,
                [
                    (
                        "<int:pk>/confirmation/send/",
                        self.send_for_confirmation_view,
                        "send_for_confirmation",
                    ),
                    (
                        "<int:pk>/confirmation/<int:confirmation_pk>/accept/",
                        self.accept_confirmation_view,
                        "accept_confirmation",
                    ),
                ],
            ),
            *super().get_urls(),
        ]

    def send_one_for_confirmation(self, request, convention):
        if convention.status != ConventionStatus.BROUILLON:
            return (
                f"{convention.reference} est {convention.get_status_display()} : seul un "
                "brouillon est envoyé pour confirmation."
            )
        try:
            confirmations.send_for_confirmation(convention)
        except ValidationError as error:
            return f"{convention.reference} : {' '.join(error.messages)}"
        except OSError as error:
            # smtplib's errors are OSErrors; the transaction left nothing recorded.
            return (
                f"{convention.reference} : l'envoi de l'e-mail a échoué ({error}) ; aucun lien "
                "n'a été enregistré, réessayez plus tard."
            )
        return None

    # For a whole year and académie: filter the list on both, then select all.
    @admin.action(
        description="Envoyer pour confirmation des écoles (brouillons)",
        permissions=["send_link"],
    )
    def send_for_confirmation(self, request, queryset):
        selected = queryset.select_related("collectivite", "commune", "school_year", "academie")
        sent, errors = 0, []
        for convention in selected.order_by("pk"):
            error = self.send_one_for_confirmation(request, convention)
            if error is None:
                sent += 1
            else:
                errors.append(error)
        if sent:
            self.message_user(
                request,
                f"{sent} demande{pluralize(sent)} de confirmation envoyée{pluralize(sent)}.",
                messages.SUCCESS,
            )
        for error in errors[:20]:
            self.message_user(request, error, messages.ERROR)
        if len(errors) > 20:
            self.message_user(
                request,
                f"… et {len(errors) - 20} autres refus ({len(errors)} au total).",
                messages.ERROR,
            )

    def send_for_confirmation_view(self, request, pk):
        convention = self.editable_convention(request, pk)
        if not self.has_send_link_permission(request, convention):
            raise PermissionDenied
        if convention.status != ConventionStatus.BROUILLON:
            raise Http404
        error = None
        if request.method == "POST":
            error = self.send_one_for_confirmation(request, convention)
            if error is None:
                self.message_user(
                    request,
                    f"{convention.reference} : demande de confirmation envoyée à "
                    f"{', '.join(convention.collectivite.email_list())}.",
                    messages.SUCCESS,
                )
                return self.change_page(convention)
        context = {
            **self.page_context(
                request, convention, f"Demander à la mairie de confirmer {convention.reference}"
            ),
            "recipients": convention.collectivite.email_list(),
            "error": error,
        }
        return TemplateResponse(
            request, "admin/conventions/convention/send_for_confirmation.html", context
        )

    def accept_confirmation_view(self, request, pk, confirmation_pk):
        convention = self.editable_convention(request, pk)
        if request.method != "POST":
            raise Http404
        confirmation = convention.confirmations.filter(pk=confirmation_pk).first()
        if confirmation is None:
            raise Http404
        try:
            confirmations.accept_confirmation(confirmation, request.user)
        except ValidationError as error:
            self.message_user(
                request,
                f"{convention.reference} : {' '.join(error.messages)} Rien n'a été modifié.",
                messages.ERROR,
            )
        else:
            count = confirmation.schools.count()
            self.message_user(
                request,
                f"{convention.reference} : réponse de la mairie acceptée ({count} "
                f"école{pluralize(count)} inscrite{pluralize(count)}, représentant et adresses "
                "e-mail de la collectivité mis à jour).",
                messages.SUCCESS,
            )
        return self.change_page(convention)

    # Most conventions were never sent for confirmation: the page asks whether there is
    # anything to read in the convention's own query rather than in two more.
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        request.entconv_confirmation_flags = True
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if getattr(request, "entconv_confirmation_flags", False):
            queryset = queryset.annotate(
                has_confirmations=Exists(
                    SchoolConfirmation.objects.filter(convention=OuterRef("pk"))
                ),
                has_missing_reports=Exists(
                    MissingSchoolReport.objects.filter(convention=OuterRef("pk"))
                ),
            )
        return queryset

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            latest = (
                confirmations.latest_confirmation(obj)
                if getattr(obj, "has_confirmations", True)
                else None
            )
            context["can_send_for_confirmation"] = (
                obj.status == ConventionStatus.BROUILLON
                and self.has_send_link_permission(request, obj)
            )
            context["confirmation"] = latest
            context["missing_school_reports"] = (
                list(obj.missing_school_reports.all()[:20])
                if getattr(obj, "has_missing_reports", True)
                else []
            )
            if latest is not None and obj.status == ConventionStatus.BROUILLON:
                pending = confirmations.pending_differences(latest)
                context["confirmation_pending"] = pending
                context["confirmation_rows"] = readable_changes(pending)
                context["can_accept_confirmation"] = bool(pending) and self.has_change_permission(
                    request, obj
                )
        return super().render_change_form(request, context, add, change, form_url, obj)
