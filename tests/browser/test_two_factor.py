"""A staff member's second factor, as typed: enrolment, codes, backup codes, a reset."""

import base64
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from entconv.two_factor import new_backup_codes
from tests.roles import PASSWORD, make_user

pytestmark = pytest.mark.browser

REFUSED = "Code refusé : il est faux ou a déjà servi."


@pytest.fixture(autouse=True)
def second_factor_required(settings):
    settings.OTP_REQUIRED = True
    # The production hasher takes a good part of a second per login; these tests count codes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def code_for(key, step=0):
    """What the phone shows, `step` periods of 30 s from now."""
    return f"{totp(key, step=30, drift=step):06d}"


def enter_password(page, live_server, user):
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill(user.username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def enter_code(page, code):
    page.get_by_label("Code à 6 chiffres ou code de secours").fill(code)
    page.get_by_role("button", name="Valider").click()


def log_out(page):
    page.get_by_role("button", name="Déconnexion").click()
    expect(page.get_by_role("heading", name="Déconnecté")).to_be_visible()


def expect_admin(page):
    expect(page.get_by_role("button", name="Déconnexion")).to_be_visible()


def test_enrolment_then_codes_and_backup_codes_each_serve_once(
    page, live_server, transactional_db, screenshot
):
    user = make_user("gestion")
    enter_password(page, live_server, user)

    # First login: the enrolment page, with its QR code and the secret in text.
    expect(page.get_by_role("heading", name="Activer la double authentification")).to_be_visible()
    qr = page.get_by_role("img", name="QR code à scanner avec votre application")
    expect(qr).to_be_visible()
    # Loaded under the CSP: a refused image has no width.
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")
    secret = page.locator("#two-factor-secret").inner_text()
    key = base64.b32decode("".join(secret.split()))
    screenshot("enrolement")

    page.get_by_label("Code à 6 chiffres").fill("12345")
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_text(REFUSED)).to_be_visible()

    first = code_for(key)
    page.get_by_label("Code à 6 chiffres").fill(first)
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    backup_codes = page.get_by_role("list", name="Codes de secours").locator("code")
    expect(backup_codes).to_have_count(10)
    backup = backup_codes.first.inner_text()
    screenshot("codes-de-secours")
    page.get_by_role("link", name="J'ai noté mes codes : continuer").click()
    expect_admin(page)

    # Next login: the code page. The enrolment's code has served: refused.
    log_out(page)
    enter_password(page, live_server, user)
    expect(page.get_by_role("heading", name="Double authentification")).to_be_visible()
    enter_code(page, first)
    expect(page.get_by_text(REFUSED)).to_be_visible()
    screenshot("code-refuse")
    following = code_for(key, step=1)
    enter_code(page, following)
    expect_admin(page)

    # The same code twice: refused; a backup code opens instead.
    log_out(page)
    enter_password(page, live_server, user)
    enter_code(page, following)
    expect(page.get_by_text(REFUSED)).to_be_visible()
    enter_code(page, backup.upper())
    expect_admin(page)

    # The backup code has served.
    log_out(page)
    enter_password(page, live_server, user)
    enter_code(page, backup)
    expect(page.get_by_text(REFUSED)).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Déconnecté")).to_be_visible()


def test_a_wrong_code_five_times_locks_the_account(page, live_server, transactional_db):
    user = make_user("comptabilite")
    TOTPDevice.objects.create(user=user, name="application", confirmed=True)
    enter_password(page, live_server, user)
    for _ in range(5):
        enter_code(page, "abcdef")
        expect(page.get_by_text(REFUSED)).to_be_visible()
    enter_code(page, "abcdef")
    expect(page.get_by_text("Trop d'échecs de connexion")).to_be_visible()


def test_a_superuser_resets_a_lost_phone(page, live_server, transactional_db):
    agent = make_user("gestion", username="agent-telephone-perdu")
    TOTPDevice.objects.create(user=agent, name="application", confirmed=True)
    new_backup_codes(agent)
    chief = make_user("superuser")
    device = TOTPDevice.objects.create(user=chief, name="application", confirmed=True)

    enter_password(page, live_server, chief)
    enter_code(page, code_for(device.bin_key))
    expect_admin(page)
    page.get_by_role("link", name="Applications d'authentification").click()
    page.get_by_role("row", name=re.compile("agent-telephone-perdu")).get_by_role(
        "checkbox"
    ).check()
    page.get_by_role("combobox", name="Action").select_option(
        label="Réinitialiser la double authentification des comptes choisis"
    )
    page.get_by_role("button", name="Exécuter").click()
    expect(page.get_by_text("Double authentification réinitialisée pour 1 compte")).to_be_visible()
    log_out(page)

    # The agent enrols again at the next login.
    enter_password(page, live_server, agent)
    expect(page.get_by_role("heading", name="Activer la double authentification")).to_be_visible()


def test_optional_in_the_demo_and_activated_by_choice(
    page, live_server, transactional_db, settings
):
    settings.OTP_REQUIRED = False
    user = make_user("gestion")
    enter_password(page, live_server, user)
    expect_admin(page)

    page.get_by_role("link", name="Activer la double authentification").click()
    key = base64.b32decode("".join(page.locator("#two-factor-secret").inner_text().split()))
    page.get_by_label("Code à 6 chiffres").fill(code_for(key))
    page.get_by_role("button", name="Activer").click()
    page.get_by_role("link", name="J'ai noté mes codes : continuer").click()
    expect_admin(page)
    expect(page.get_by_role("link", name="Activer la double authentification")).to_have_count(0)

    # Activated: from now on this account gives its code.
    log_out(page)
    enter_password(page, live_server, user)
    enter_code(page, code_for(key, step=1))
    expect_admin(page)
