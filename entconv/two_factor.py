"""The staff's second factor: a TOTP application, and single-use backup codes.

django-otp keeps the devices and checks the codes; this module says who must give one, sends
them to the code page, and writes an enrolment.
"""

import base64
import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

BACKUP_CODES = 10
DEVICE_NAME = "application d'authentification"


def second_factor_needed(user):
    """Whether this login is complete only once a code is given."""
    if not (user.is_authenticated and user.is_staff):
        return False
    if getattr(user, "otp_device", None) is not None:
        return False
    # Optional (the demo): a code is asked only of those who chose to have one.
    return settings.OTP_REQUIRED or has_second_factor(user)


def has_second_factor(user):
    # One query on each admin page of the demo: backup codes never exist without the
    # application they back up (confirm_enrolment, reset_second_factor).
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class SecondFactorMiddleware:
    """Until its code is given, a staff session opens nothing but the code page.

    After django_otp's OTPMiddleware, which tells whether the session gave a code.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(reverse("admin:index")):
            if second_factor_needed(request.user) and request.path not in open_paths():
                return redirect(f"{code_page(request.user)}?{next_query(request)}")
        else:
            # Elsewhere the half-open session is nobody's. Lazy: a page that never reads
            # request.user (the public, cached ones) must not read the session either.
            user = request.user
            request.user = SimpleLazyObject(
                lambda: AnonymousUser() if second_factor_needed(user) else user
            )
        return self.get_response(request)


def open_paths():
    return {
        reverse("two_factor_verify"),
        reverse("two_factor_enrol"),
        reverse("admin:logout"),
        reverse("admin:jsi18n"),
    }


def code_page(user):
    if has_second_factor(user):
        return reverse("two_factor_verify")
    return reverse("two_factor_enrol")


def next_query(request):
    path = request.get_full_path()
    if request.method != "GET" or path.startswith(reverse("admin:login")):
        path = reverse("admin:index")
    return urlencode({"next": path})


def pending_device(user):
    """The TOTP device being enrolled: the same secret until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_of(device):
    """The key as an authenticator application takes it by hand: base32, in groups of 4."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(device):
    # A data URI, which the CSP's img-src allows: an inline <svg> would be styled by
    # attributes the CSP refuses.
    out = io.BytesIO()
    write_qrcode_image(device.config_url, out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def normalise(code):
    return "".join(code.split()).lower()


def confirm_enrolment(device, code):
    """Confirm `device` with its first code; the backup codes, or None for a wrong code."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(normalise(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # A new application replaces the old one and its codes.
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        return device, new_backup_codes(device.user)


def new_backup_codes(user):
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="codes de secours")
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def verify_code(user, code):
    """The device that accepts `code` (consuming it), or None."""
    code = normalise(code)
    if not code:
        return None
    with transaction.atomic():
        # Locked: two requests racing with the same code cannot both pass.
        devices = [
            *TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True),
            *StaticDevice.objects.select_for_update().filter(user=user, confirmed=True),
        ]
        for device in devices:
            if isinstance(device, TOTPDevice) and not code.isdigit():
                continue
            if device.verify_token(code):
                return device
    return None


def reset_second_factor(user):
    """Forget the user's application and backup codes: the next login enrols again."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
