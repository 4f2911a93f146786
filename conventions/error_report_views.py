""" "Signaler une erreur", on every public page: the general form, and the one of a convention
reached from its private link (its académie and its daily allowance follow)."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from communes.models import Academie
from conventions.error_reports import report_error
from conventions.models import ERROR_REPORT_MAX_LENGTH, Convention, hash_access_token
from conventions.ratelimit import client_ip, limit_per_ip
from conventions.views import link_unavailable

TEMPLATE = "conventions/portal/error_report.html"


class ErrorReportForm(forms.Form):
    name = forms.CharField(label="Votre nom", max_length=150)
    email = forms.EmailField(
        label="Votre adresse e-mail (facultatif)",
        required=False,
        help_text="pour que le service ENT-École puisse vous répondre",
    )
    academie = forms.ModelChoiceField(
        label="Votre académie (facultatif)",
        queryset=Academie.objects.order_by("name"),
        required=False,
        empty_label="je ne sais pas",
    )
    message = forms.CharField(
        label="L'erreur que vous avez constatée",
        max_length=ERROR_REPORT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"ce qui est faux et, si vous le savez, ce qui serait juste "
        f"({ERROR_REPORT_MAX_LENGTH} caractères au plus)",
    )
    page = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    def __init__(self, *args, convention=None, **kwargs):
        super().__init__(*args, **kwargs)
        if convention is not None:
            # The convention says which académie: not asked.
            del self.fields["academie"]


def convention_for_report(token):
    """The convention, draft or issued, a private link opens; or None."""
    return (
        Convention.objects.filter(access_token_hash=hash_access_token(token))
        .select_related("collectivite", "commune", "school_year", "academie")
        .first()
    )


def handle(request, convention):
    if request.method == "POST":
        form = ErrorReportForm(request.POST, convention=convention)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report_error(
                    convention=convention,
                    academie=data.get("academie"),
                    page_url=data["page"],
                    name=data["name"].strip(),
                    email=data["email"],
                    message=data["message"],
                    ip_address=client_ip(request),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect(f"{request.path}?envoi=ok")
        status = 400
    else:
        # The page the visitor came from (the referrer policy sends it within the site).
        form = ErrorReportForm(
            initial={"page": request.META.get("HTTP_REFERER", "")}, convention=convention
        )
        status = 200
    context = {
        "form": form,
        "convention": convention,
        "academie": convention.academie if convention else None,
        "just_sent": request.GET.get("envoi") == "ok" and request.method == "GET",
    }
    return render(request, TEMPLATE, context, status=status)


@never_cache
@limit_per_ip("signaler")
@require_http_methods(["GET", "POST"])
def report(request):
    return handle(request, None)


@never_cache
@limit_per_ip("signaler")
@require_http_methods(["GET", "POST"])
def report_for_convention(request, token):
    convention = convention_for_report(token)
    if convention is None:
        return link_unavailable(request)
    return handle(request, convention)
