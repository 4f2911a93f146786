"""The conventions list's bulk actions: background issuing, the ZIP, private links,
deletion of drafts and titres. Mixed into ConventionAdmin (conventions/admin/conventions.py)."""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from communes.french import counted, pluralize
from conventions import billing
from conventions.access_links import portal_url, send_access_link
from conventions.admin.action_confirmation import confirmation_page, confirmed
from conventions.admin.common import (
    issued_zip,
)
from conventions.enums import ConventionStatus
from conventions.models import (
    IssuingBatch,
)
from conventions.templatetags.money import euros


class ConventionActionsMixin:
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
        drafts = queryset.filter(status=ConventionStatus.BROUILLON).order_by("pk")
        count = drafts.count()
        if not count:
            self.message_user(
                request,
                "Aucun brouillon parmi les conventions sélectionnées : rien à émettre.",
                messages.WARNING,
            )
            return None
        if not confirmed(request):
            return confirmation_page(
                self,
                request,
                title="Émettre en arrière-plan",
                intro=(
                    f"Vous allez émettre en arrière-plan {count} brouillon{pluralize(count)} : "
                    f"le PDF de chaque convention est généré et figé, avec son montant."
                    + (
                        " Les conventions sélectionnées qui ne sont pas des brouillons sont "
                        "laissées telles quelles."
                        if count != queryset.count()
                        else ""
                    )
                ),
                warning="Une convention émise ne redevient pas un brouillon.",
                rows=[
                    str(convention)
                    for convention in drafts.select_related(
                        "school_year", "commune", "collectivite"
                    ).order_by("commune__name")
                ],
            )
        # One batch per académie: each is followed by its own académie's agents.
        by_academie = {}
        for pk, academie_id in drafts.values_list("pk", "academie_id"):
            by_academie.setdefault(academie_id, []).append(pk)
        school_year_id = years.pop()
        for academie_id, ids in sorted(by_academie.items(), key=lambda item: item[0] or 0):
            batch = IssuingBatch.objects.create(
                school_year_id=school_year_id,
                academie_id=academie_id,
                convention_ids=ids,
                total=len(ids),
                created_by=request.user,
            )
            result = issue_in_background.enqueue(batch.pk)
            IssuingBatch.objects.filter(pk=batch.pk).update(task_id=str(result.id))
            self.message_user(
                request,
                format_html(
                    "{}{} brouillon{} à émettre en arrière-plan : suivez l'avancement dans "
                    '<a href="{}">Émissions en arrière-plan</a>.',
                    f"{batch.academie} : " if len(by_academie) > 1 else "",
                    len(ids),
                    pluralize(len(ids)),
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

    @admin.action(description="Envoyer le lien", permissions=["send_link"])
    def send_link(self, request, queryset):
        conventions = queryset.select_related("collectivite", "commune", "school_year")
        if not confirmed(request):
            count = len(conventions)
            return confirmation_page(
                self,
                request,
                title="Envoyer le lien",
                intro=(
                    f"Vous allez envoyer par e-mail le lien privé de {count} "
                    f"convention{pluralize(count)} à {'sa' if count == 1 else 'leur'} "
                    f"collectivité : elle y consulte la convention, télécharge le PDF et "
                    f"dépose l'exemplaire signé."
                ),
                warning=(
                    "Chaque envoi crée un nouveau lien : le lien envoyé précédemment cesse de "
                    "fonctionner."
                ),
                rows=[
                    f"{convention.reference} – {convention.collectivite} → "
                    f"{', '.join(convention.collectivite.email_list()) or 'aucune adresse'}"
                    for convention in conventions.order_by("commune__name")
                ],
            )
        for convention in conventions:
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
        self.message_user(
            request, f"{counted(count, 'lien')} révoqué{pluralize(count)}.", messages.SUCCESS
        )

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

    def delete_view(self, request, object_id, extra_context=None):
        # A page opened while the convention was a draft still offers "Supprimer": once it is
        # issued, say why in the admin, rather than the bare 403 of the public site.
        convention = self.get_object(request, unquote(object_id))
        may_delete_drafts = request.user.has_perm(
            f"{self.opts.app_label}.{get_permission_codename('delete', self.opts)}"
        )
        if convention is not None and not convention.is_deletable and may_delete_drafts:
            context = {
                **self.page_context(request, convention, "Suppression impossible"),
                "cancelled": convention.status == ConventionStatus.ANNULEE,
                "can_cancel": convention.status != ConventionStatus.ANNULEE
                and self.has_change_status_permission(request, convention),
            }
            return TemplateResponse(
                request,
                "admin/conventions/convention/delete_refused.html",
                context,
                status=403,
            )
        return super().delete_view(request, object_id, extra_context)

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
        count = len(billable)
        # Nothing to issue: the warning below says so without a confirmation first.
        if count and not confirmed(request):
            return confirmation_page(
                self,
                request,
                title="Émettre les titres de perception",
                intro=(
                    f"Vous allez émettre le titre de perception de {count} "
                    f"convention{pluralize(count)} signée{pluralize(count)} par les deux "
                    "parties : chaque titre reçoit son numéro définitif et sa convention passe "
                    "« facturée »."
                    + (
                        " Les autres conventions sélectionnées sont ignorées."
                        if count != queryset.count()
                        else ""
                    )
                ),
                warning="Un titre émis ne peut plus être supprimé, seulement annulé.",
                rows=[
                    f"{convention.reference} – {convention.collectivite} – "
                    f"{euros(convention.issued_amount)}"
                    for convention in billable.order_by("pk")
                ],
            )
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
