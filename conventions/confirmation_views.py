"""The mairie's confirmation page: its draft's schools, representative and e-mail addresses."""

import contextlib

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communes.validators import validate_email_list
from conventions import confirmations
from conventions.enums import ConventionStatus
from conventions.fees import Fee
from conventions.models import Convention, hash_access_token
from conventions.portal_cache import convention_state, render_page_of_state
from conventions.ratelimit import client_ip, limit_per_ip
from conventions.views import link_unavailable
from entconv import plain_widgets
from schools.models import School

TEMPLATE = "conventions/portal/confirmation.html"
REPORT_MAX_LENGTH = 1000


class ConfirmationForm(forms.Form):
    ecoles = forms.TypedMultipleChoiceField(
        label="Écoles inscrites", coerce=int, required=False, choices=()
    )
    representative_name = forms.CharField(
        label="Nom du représentant de la collectivité",
        max_length=150,
        help_text="tel qu'il sera imprimé sur la convention : « Michel COSTE »",
        widget=plain_widgets.TextInput,
    )
    representative_title = forms.CharField(
        label="Qualité du représentant",
        max_length=150,
        help_text="« MAIRE », « Président »",
        widget=plain_widgets.TextInput,
    )
    emails = forms.CharField(
        label="Adresses e-mail de contact de la collectivité",
        validators=[validate_email_list],
        widget=plain_widgets.Textarea(attrs={"rows": 2}),
        help_text="une ou plusieurs adresses, séparées par des virgules",
    )
    confirmed_by = forms.CharField(
        label="Votre nom",
        max_length=150,
        help_text="la personne qui confirme pour la collectivité",
        widget=plain_widgets.TextInput,
    )
    version = forms.IntegerField(widget=plain_widgets.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, offered, convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.convention = convention
        self.offered = offered
        # Any integer is accepted here; clean_ecoles says why a school may not be ticked.
        self.fields["ecoles"].valid_value = lambda value: True

    def clean_ecoles(self):
        chosen = self.cleaned_data["ecoles"]
        # offered None: the caller checks the schools itself (record_confirmation).
        if self.offered is not None and (
            error := confirmations.school_choice_error(self.convention, chosen, self.offered)
        ):
            raise error
        if not chosen:
            raise ValidationError("Cochez au moins une école.")
        return chosen


class MissingSchoolForm(forms.Form):
    text = forms.CharField(
        label="L'école que vous ne trouvez pas",
        max_length=REPORT_MAX_LENGTH,
        widget=plain_widgets.Textarea(attrs={"rows": 3}),
        help_text="son nom, son adresse et, si vous le connaissez, son code UAI",
    )


def page_context(convention, form, report_form, *, offered, latest, **extra):
    if form.is_bound:
        ticked = set()
        for value in form.data.getlist("ecoles"):
            with contextlib.suppress(ValueError):
                ticked.add(int(value))
    else:
        ticked = confirmations.initial_school_ids(convention, latest, offered)
    try:
        rate = convention.get_rate()
    except ValidationError:
        rate = None
    counted = sum(1 for school in offered if school.pk in ticked)
    return {
        "convention": convention,
        "academie": convention.academie,
        "schools": [(school, school.pk in ticked) for school in offered],
        "fee": Fee(school_count=counted, rate=rate) if rate is not None else None,
        "form": form,
        "report_form": report_form,
        "latest": latest,
        # Counted with the draft (with_page_state, None when there is none): not read then.
        "reports": (
            []
            if hasattr(convention, "report_count") and not convention.report_count
            else convention.missing_school_reports.all()[:20]
        ),
        "staff_notified": bool(settings.STAFF_NOTIFICATION_EMAILS),
        **extra,
    }


def unbound_form(convention, offered, latest):
    collectivite = convention.collectivite
    source = latest or collectivite
    return ConfirmationForm(
        initial={
            "representative_name": source.representative_name,
            "representative_title": source.representative_title,
            "emails": ", ".join(source.email_list()),
            "confirmed_by": latest.confirmed_by if latest else "",
            "version": latest.pk if latest else 0,
        },
        offered=offered,
        convention=convention,
    )


def issued_or_gone(request, token):
    """Once issued, the link opens the convention's own page."""
    issued = Convention.objects.with_access_token(token).exists()
    if issued:
        return redirect("conventions:portal", token=token)
    return link_unavailable(request)


@never_cache
@limit_per_ip("portal")
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    if request.method == "POST":
        return record_answer(request, token)
    convention = confirmations.draft_for_token(token)
    if convention is None:
        return issued_or_gone(request, token)
    return confirmation_page(
        request,
        convention,
        just_confirmed=request.GET.get("reponse") == "ok",
        just_reported=request.GET.get("signalement") == "ok",
    )


def answer_refused(request, token):
    """The link opens no draft: issued between the page and the click (say so, 409), or
    no convention at all."""
    found = Convention.objects.with_access_token(token).select_related(
        "school_year", "academie", "commune"
    )[:1]
    if not found:
        return link_unavailable(request)
    issued = found[0]
    return render(
        request,
        "conventions/portal/confirmation_closed.html",
        {
            "convention": issued,
            "academie": issued.academie,
            "error": confirmations.not_a_draft_error(issued).messages[0],
        },
        status=409,
    )


# Errors of record_confirmation that are about the ticked schools.
SCHOOL_ERROR_CODES = {"closed_school", "foreign_school", "no_school"}


def record_answer(request, token):
    # The draft is read once, locked by its token, and the schools checked once, by
    # record_confirmation_for_token: the page's state is read only to show the errors.
    form = ConfirmationForm(request.POST, offered=None, convention=None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            recorded = confirmations.record_confirmation_for_token(
                token,
                school_ids=data["ecoles"],
                representative_name=data["representative_name"].strip(),
                representative_title=data["representative_title"].strip(),
                emails=data["emails"],
                confirmed_by=data["confirmed_by"].strip(),
                ip_address=client_ip(request),
                seen_confirmation_id=data["version"],
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "not_a_draft":
                return answer_refused(request, token)
            field = "ecoles" if getattr(error, "code", None) in SCHOOL_ERROR_CODES else None
            form.add_error(field, error)
        else:
            if recorded is None:
                return link_unavailable(request)
            return redirect(reverse("conventions:confirm", args=[token]) + "?reponse=ok")
    convention = confirmations.draft_for_token(token)
    if convention is None:
        return answer_refused(request, token)
    offered = confirmations.offered_school_list(convention, labels=False)
    chosen = form.cleaned_data.get("ecoles")
    if chosen and (
        error := confirmations.school_choice_error(
            convention, chosen, {school.pk for school in offered}
        )
    ):
        # Shown with the other errors of the form, as the mairie would fix them together.
        form.add_error("ecoles", error)
    latest = confirmations.latest_confirmation(convention)
    context = page_context(convention, form, MissingSchoolForm(), offered=offered, latest=latest)
    return render(request, TEMPLATE, context, status=409 if form.non_field_errors() else 400)


def school_state(school):
    return (*(getattr(school, field.attname) for field in School._meta.concrete_fields),)


def confirmation_page(request, convention, *, just_confirmed, just_reported):
    """The unbound page, rendered once per state of everything it shows (portal_cache)."""
    # The latest answer's schools are marked in the offered rows (an answer never changes,
    # its id is enough for the state).
    offered = confirmations.offered_school_list(
        convention, convention.latest_confirmation_pk, labels=False
    )
    # Ticked on arrival: the latest answer's schools, else the draft's (in the offered rows),
    # else last year's, read only then.
    last_year = None
    if convention.latest_confirmation_pk is None and not any(s.in_draft for s in offered):
        last_year = sorted(confirmations.initial_school_ids(convention, None, offered))
    collectivite = convention.collectivite
    staff_notified = bool(settings.STAFF_NOTIFICATION_EMAILS)
    state = (
        convention_state(convention),
        (
            collectivite.representative_name,
            collectivite.representative_title,
            collectivite.emails,
        ),
        (
            convention.latest_confirmation_pk,
            convention.report_count,
            convention.last_report_pk,
            convention.tariff_rate,
        ),
        [(school_state(school), school.in_draft) for school in offered],
        last_year,
        (just_confirmed, just_reported, staff_notified),
    )

    def context():
        latest = confirmations.latest_confirmation(convention)
        form = unbound_form(convention, {school.pk for school in offered}, latest)
        return page_context(
            convention,
            form,
            MissingSchoolForm(),
            offered=offered,
            latest=latest,
            just_confirmed=just_confirmed,
            just_reported=just_reported,
        )

    return render_page_of_state(request, TEMPLATE, state, context, kind="confirmation")


@never_cache
@limit_per_ip("portal")
@require_POST
def report_missing_school(request, token):
    convention = confirmations.draft_for_token(token)
    if convention is None:
        return issued_or_gone(request, token)
    report_form = MissingSchoolForm(request.POST)
    if report_form.is_valid():
        try:
            confirmations.report_missing_school(
                convention, report_form.cleaned_data["text"], client_ip(request)
            )
        except ValidationError as error:
            report_form.add_error("text", error)
        else:
            return redirect(reverse("conventions:confirm", args=[token]) + "?signalement=ok")
    latest = confirmations.latest_confirmation(convention)
    offered = confirmations.offered_school_list(
        convention, latest.pk if latest else None, labels=False
    )
    form = unbound_form(convention, {school.pk for school in offered}, latest)
    context = page_context(convention, form, report_form, offered=offered, latest=latest)
    return render(request, TEMPLATE, context, status=400)


# A sibling scope: ticking boxes must not use up the page's own allowance.
@never_cache
@limit_per_ip("portal-montant")
@require_GET
def amount(request, token):
    """The fee for the ticked schools, computed as everywhere else (fees.Fee)."""
    found = (
        Convention.objects.filter(access_token_hash=hash_access_token(token))
        .select_related("school_year", "academie")
        .only("status", "school_year", "academie", "commune")
        .first()
    )
    if found is None or found.status != ConventionStatus.BROUILLON:
        return JsonResponse({"text": ""}, status=404)
    ticked = set()
    for value in request.GET.getlist("ecoles")[:500]:
        try:
            ticked.add(int(value))
        except ValueError:
            continue
    offered = set(confirmations.offered_schools(found).values_list("pk", flat=True))
    try:
        rate = found.get_rate()
    except ValidationError as error:
        return JsonResponse({"text": " ".join(error.messages)})
    return JsonResponse({"text": str(Fee(school_count=len(ticked & offered), rate=rate))})
