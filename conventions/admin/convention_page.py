"""The convention's admin page as staff fill it in: what the add form shows, and the page's
own buttons beside the admin's form (send the link, enroll the commune's open schools)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from communes.french import counted, pluralize
from conventions.access_links import send_access_link
from conventions.enums import ConventionStatus
from conventions.models import Convention
from schools.enums import Sector


class ConventionForm(forms.ModelForm):
    # Set by ConventionPageMixin.get_form when the database refused this very form's save.
    refused_errors = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        academie = self.fields.get("academie")  # read-only once issued
        if academie is not None:
            # Convention.clean() fills it from the commune's département when left empty.
            academie.required = False
            academie.help_text = "déduite de la commune"

    def _post_clean(self):
        super()._post_clean()
        for field, message in self.refused_errors.items():
            # Once the other convention is committed, clean() says it too: only once.
            if message not in self.errors.get(field, []):
                self.add_error(field if field in self.fields else None, message)


class DuplicateConvention(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


# Fieldsets shown only once they hold something: a draft has no document, link or signed copy.
LATER_FIELDSETS = {
    "Document émis": lambda obj: obj.is_issued,
    "Suivi": lambda obj: obj.status != ConventionStatus.BROUILLON,
    "Lien privé de la collectivité": lambda obj: bool(obj.link_created_at or obj.link_sent_at),
    "Convention signée par la collectivité": lambda obj: bool(
        obj.signed_pdf or obj.signed_uploaded_at
    ),
}


class ConventionPageMixin:
    # Two staff saving the same commune and year at the same moment both pass clean(); the
    # database's unique constraint refuses the second. He gets clean()'s error on his form,
    # as if he had been a moment later, rather than a 500.
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DuplicateConvention as refused:
            # The view's transaction is rolled back: nothing of this save remains. The same
            # POST is validated again, the form now carrying the error.
            request.entconv_refused_errors = refused.errors
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.refused_errors = getattr(request, "entconv_refused_errors", {})
        return form

    def save_model(self, request, obj, form, change):
        try:
            with transaction.atomic():
                super().save_model(request, obj, form, change)
        except IntegrityError:
            # Asked after the savepoint's rollback, the database names the other convention.
            errors = obj.clean_commune_and_year()
            if not errors:
                raise
            raise DuplicateConvention(errors) from None

    def get_changeform_initial_data(self, request):
        # Conventions are mostly dated the day they are drawn up; the field stays editable.
        return {
            "document_date": timezone.localdate(),
            **super().get_changeform_initial_data(request),
        }

    def get_fieldsets(self, request, obj=None):
        return [
            (name, options)
            for name, options in super().get_fieldsets(request, obj)
            if name not in LATER_FIELDSETS or (obj is not None and LATER_FIELDSETS[name](obj))
        ]

    def editable_convention(self, request, pk):
        convention = get_object_or_404(
            Convention.objects.select_related("collectivite", "commune", "school_year"), pk=pk
        )
        if not self.has_change_permission(request, convention):
            raise PermissionDenied
        return convention

    def page_context(self, request, convention, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": convention,
            "title": title,
        }

    def change_page(self, convention):
        return HttpResponseRedirect(
            reverse("admin:conventions_convention_change", args=[convention.pk])
        )

    def send_link_view(self, request, pk):
        convention = self.editable_convention(request, pk)
        if not self.has_send_link_permission(request, convention):
            raise PermissionDenied
        error = None
        if request.method == "POST":
            try:
                send_access_link(convention)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            except OSError as exc:
                # smtplib's errors are OSErrors; the transaction left nothing recorded.
                error = (
                    f"L'envoi de l'e-mail a échoué ({exc}) ; aucun lien n'a été enregistré, "
                    "réessayez plus tard."
                )
            else:
                self.message_user(
                    request,
                    f"{convention.reference} : lien envoyé à "
                    f"{', '.join(convention.collectivite.email_list())}.",
                    messages.SUCCESS,
                )
                return self.change_page(convention)
        context = {
            **self.page_context(request, convention, f"Envoyer le lien de {convention.reference}"),
            "recipients": convention.collectivite.email_list(),
            "error": error,
        }
        return TemplateResponse(request, "admin/conventions/convention/send_link.html", context)

    def open_schools_view(self, request, pk):
        convention = self.editable_convention(request, pk)
        if convention.is_issued:
            raise PermissionDenied
        schools = list(convention.enrollable_schools())
        if request.method == "POST":
            chosen = set(request.POST.getlist("school"))
            count = convention.enroll([school for school in schools if str(school.pk) in chosen])
            self.message_user(
                request,
                f"{counted(count, 'école')} ajoutée{pluralize(count)} à la convention "
                f"{convention.reference}.",
                messages.SUCCESS if count else messages.WARNING,
            )
            return self.change_page(convention)
        context = {
            **self.page_context(
                request, convention, f"Ajouter les écoles ouvertes de {convention.commune.name}"
            ),
            "public_schools": [s for s in schools if s.sector == Sector.PUBLIC],
            "private_schools": [s for s in schools if s.sector != Sector.PUBLIC],
        }
        return TemplateResponse(request, "admin/conventions/convention/open_schools.html", context)
