"""The code page and the enrolment page, between the password and the admin."""

from django import forms
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from conventions.ratelimit import (
    clear_login_failures,
    client_ip,
    count_login_failure,
    login_lockout,
)
from entconv import two_factor
from entconv.security_events import record_login_event

WRONG_CODE = (
    "Code refusé : il est faux ou a déjà servi. Saisissez le code que votre application "
    "affiche maintenant, ou un code de secours jamais utilisé."
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


def staff_session(view):
    """Pages for a staff account past its password: anyone else goes to the login page."""

    def wrapped(request):
        if not (request.user.is_authenticated and request.user.is_staff):
            return redirect("admin:login")
        return view(request)

    return sensitive_post_parameters("code")(never_cache(wrapped))


def next_url(request):
    url = request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME, ""))
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("admin:index")


def render(request, template, context):
    return TemplateResponse(
        request,
        template,
        {
            **admin.site.each_context(request),
            # The login page's frame: neither the menu nor the account links yet.
            "has_permission": False,
            "next": next_url(request),
            **context,
        },
    )


def complete_login(request, device):
    # A new session key once the second factor is given, as Django does at login.
    request.session.cycle_key()
    otp_login(request, device)
    clear_login_failures(request, request.user.get_username())
    record_login_event("logged_in", request.user, client_ip(request))


def refuse_code(request, form):
    record_login_event("second_factor_failed", request.user, client_ip(request))
    count_login_failure(request, request.user.get_username(), request.user)
    form.add_error("code", WRONG_CODE)


@staff_session
def verify(request):
    if not two_factor.second_factor_needed(request.user):
        return redirect(next_url(request))
    if not two_factor.has_second_factor(request.user):
        return redirect(f"{reverse('two_factor_enrol')}?{two_factor.next_query(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        locked = login_lockout(request, request.user.get_username())
        if locked is not None:
            return locked
        if form.is_valid():
            device = two_factor.verify_code(request.user, form.cleaned_data["code"])
            if device is not None:
                complete_login(request, device)
                if isinstance(device, StaticDevice):
                    record_login_event("backup_code_used", request.user, client_ip(request))
                return redirect(next_url(request))
            refuse_code(request, form)
    return render(
        request,
        "admin/two_factor/verify.html",
        {"title": "Double authentification", "form": form},
    )


@staff_session
def enrol(request):
    if two_factor.has_second_factor(request.user):
        # Replacing an application goes through a reset by a superuser (README).
        if request.user.is_verified():
            return redirect("admin:index")
        return redirect(f"{reverse('two_factor_verify')}?{two_factor.next_query(request)}")
    device = two_factor.pending_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        locked = login_lockout(request, request.user.get_username())
        if locked is not None:
            return locked
        if form.is_valid():
            enrolled = two_factor.confirm_enrolment(device, form.cleaned_data["code"])
            if enrolled is not None:
                device, backup_codes = enrolled
                record_login_event("enrolled", request.user, client_ip(request))
                complete_login(request, device)
                # Shown once, in this answer: no page shows them again.
                return render(
                    request,
                    "admin/two_factor/backup_codes.html",
                    {"title": "Vos codes de secours", "backup_codes": backup_codes},
                )
            refuse_code(request, form)
    return render(
        request,
        "admin/two_factor/enrol.html",
        {
            "title": "Activer la double authentification",
            "form": form,
            "secret": two_factor.secret_of(device),
            "qr_code": two_factor.qr_code_data_uri(device),
            "required": two_factor.second_factor_needed(request.user),
        },
    )
