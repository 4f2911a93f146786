"""The second factor: enrolment, codes, backup codes, lock-out, and the superuser's reset."""

import html
import logging
import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from entconv.two_factor import new_backup_codes
from tests.roles import PASSWORD, make_user

pytestmark = pytest.mark.django_db

ENROL = "/admin/double-authentification/"
VERIFY = "/admin/verification/"


@pytest.fixture(autouse=True)
def second_factor_required(settings):
    settings.OTP_REQUIRED = True
    # The production hasher takes a good part of a second per login; these tests count codes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def code(device, step=0):
    """The code an authenticator shows, `step` periods of 30 s from now."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, step):06d}"


def enrolled(user):
    device = TOTPDevice.objects.create(user=user, name="application", confirmed=True)
    return device, new_backup_codes(user)


def log_in(client, user, password=PASSWORD, **extra):
    return client.post(
        reverse("admin:login"),
        {"username": user.username, "password": password, "next": "/admin/"},
        **extra,
    )


def test_the_password_alone_opens_nothing_but_the_enrolment(client):
    user = make_user("superuser")
    assert log_in(client, user).status_code == 302
    for path in ["/admin/", "/admin/conventions/convention/", "/admin/auth/user/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(ENROL)
    # Outside the admin the half-open session is nobody's.
    assert client.get("/").wsgi_request.user.is_anonymous


def test_enrolment_shows_the_qr_code_and_the_secret_then_the_backup_codes_once(client):
    user = make_user("gestion")
    log_in(client, user)
    page = client.get(ENROL)
    text = page.content.decode()
    assert "Activer la double authentification" in text
    # The QR code is an image in a data URI, which the CSP's img-src allows.
    assert 'src="data:image/svg+xml;base64,' in text
    assert "img-src 'self' data:" in page["Content-Security-Policy"]
    secret = re.search(r'id="two-factor-secret"[^>]*>([A-Z2-7 ]+)<', text).group(1)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert "".join(secret.split()) == device.config_url.split("secret=")[1].split("&")[0]

    wrong = client.post(ENROL, {"code": "000000" if code(device) != "000000" else "111111"})
    assert "Code refusé : il est faux ou a déjà servi" in wrong.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed

    done = client.post(ENROL, {"code": code(device)})
    assert done.status_code == 200
    shown = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(shown) == 10
    assert set(shown) == set(StaticToken.objects.values_list("token", flat=True))
    assert client.get("/admin/").status_code == 200
    # Enrolled: the page no longer shows a secret.
    assert client.get(ENROL)["Location"] == "/admin/"


def test_login_with_a_code_and_the_same_code_refused_afterwards(client):
    user = make_user("comptabilite")
    device, _ = enrolled(user)
    response = log_in(client, user)
    assert client.get(response["Location"])["Location"].startswith(VERIFY)
    now = code(device)
    assert client.post(VERIFY, {"code": now, "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    client.post(reverse("admin:logout"))
    log_in(client, user)
    again = client.post(VERIFY, {"code": now})
    assert again.status_code == 200
    assert "Code refusé : il est faux ou a déjà servi" in again.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_backup_code_serves_once(client):
    user = make_user("gestion")
    _, backup_codes = enrolled(user)
    log_in(client, user)
    # Typed as read from paper: capitals and a space.
    typed = backup_codes[0].upper()[:4] + " " + backup_codes[0].upper()[4:]
    assert client.post(VERIFY, {"code": typed}).status_code == 302
    assert StaticToken.objects.count() == 9

    client.post(reverse("admin:logout"))
    log_in(client, user)
    assert client.post(VERIFY, {"code": backup_codes[0]}).status_code == 200
    assert client.post(VERIFY, {"code": backup_codes[1]}).status_code == 302


def test_wrong_codes_count_toward_the_lock_out_and_a_password_does_not_reset_them(
    client, settings
):
    user = make_user("gestion")
    device, _ = enrolled(user)
    wrong = "000000" if code(device) != "000000" else "111111"
    log_in(client, user)
    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES - 1):
        assert client.post(VERIFY, {"code": wrong}).status_code == 200
    # Logging in again with the password buys no fresh tries.
    client.post(reverse("admin:logout"))
    assert log_in(client, user).status_code == 302
    assert client.post(VERIFY, {"code": wrong}).status_code == 200
    locked = client.post(VERIFY, {"code": code(device)})
    assert locked.status_code == 429
    assert "Trop d'échecs de connexion" in html.unescape(locked.content.decode())
    # The account is locked at the password too, from another address.
    client.post(reverse("admin:logout"))
    other = log_in(client, user, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 429
    assert "pour ce compte" in other.content.decode()


def test_a_good_code_resets_the_failures(client, settings):
    user = make_user("gestion")
    device, _ = enrolled(user)
    log_in(client, user)
    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES - 1):
        client.post(VERIFY, {"code": "abc"})
    assert client.post(VERIFY, {"code": code(device)}).status_code == 302
    client.post(reverse("admin:logout"))
    log_in(client, user)
    for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES - 1):
        assert client.post(VERIFY, {"code": "abc"}).status_code == 200


def test_optional_in_the_demo_unless_activated(client, settings):
    settings.OTP_REQUIRED = False
    plain = make_user("gestion")
    log_in(client, plain)
    assert client.get("/admin/").status_code == 200
    client.post(reverse("admin:logout"))

    user = make_user("comptabilite")
    enrolled(user)
    log_in(client, user)
    assert client.get("/admin/")["Location"].startswith(VERIFY)


def test_non_staff_never_reach_the_code_pages(client, django_user_model):
    django_user_model.objects.create_user("mairie", password=PASSWORD)
    client.login(username="mairie", password=PASSWORD)
    for path in [VERIFY, ENROL]:
        assert client.get(path)["Location"].startswith(reverse("admin:login"))


def test_logins_and_lock_outs_are_reported(client, settings, caplog):
    user = make_user("gestion")
    device, _ = enrolled(user)
    with caplog.at_level(logging.INFO, logger="entconv.security"):
        log_in(client, user, password="mauvais")
        log_in(client, user)
        client.post(VERIFY, {"code": code(device)})
        for _ in range(settings.ADMIN_LOGIN_MAX_FAILURES):
            log_in(client, user, password="mauvais")
    kinds = [record.getMessage().split(":")[0] for record in caplog.records]
    assert kinds[:3] == ["password_failed", "password_accepted", "logged_in"]
    assert "locked_out" in kinds


def test_a_superuser_resets_a_lost_phone(client):
    user = make_user("gestion")
    enrolled(user)
    admin_user = make_user("superuser")
    client.force_login(admin_user)
    session = client.session
    # force_login skips the code page: mark the session as having given its code.
    admin_device, _ = enrolled(admin_user)
    session["otp_device_id"] = admin_device.persistent_id
    session.save()
    changelist = "/admin/otp_totp/totpdevice/"
    page = client.get(changelist)
    assert "Réinitialiser la double authentification des comptes choisis" in page.text
    response = client.post(
        changelist,
        {
            "action": "reset",
            "_selected_action": [TOTPDevice.objects.get(user=user).pk],
        },
        follow=True,
    )
    assert "Double authentification réinitialisée pour 1 compte" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()


@pytest.mark.parametrize("role", ["gestion", "comptabilite"])
def test_only_superusers_see_the_devices(client, role):
    user = make_user(role)
    device, _ = enrolled(user)
    log_in(client, user)
    client.post(VERIFY, {"code": code(device)})
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 403
    assert "Double authentification" not in client.get("/admin/").content.decode()


@pytest.mark.parametrize("required", [False, True])
def test_the_demo_accounts_say_whether_a_code_is_asked(settings, required):
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True
    settings.OTP_REQUIRED = required
    out = StringIO()
    call_command("ensure_demo_admin", stdout=out)
    expected = "obligatoire (OTP_REQUIRED=1)" if required else "facultative (OTP_REQUIRED=0)"
    assert f"Double authentification {expected}" in out.getvalue()


@pytest.mark.parametrize(("value", "refused"), [(None, False), ("1", False), ("0", True)])
def test_production_requires_the_second_factor_by_default(tmp_path, value, refused):
    from tests.test_deploy_checks import check_deploy

    result = check_deploy(tmp_path, OTP_REQUIRED=value)
    assert ("entconv.E006" in result.stdout + result.stderr) is refused
    assert (result.returncode != 0) is refused
