""" "Signaler une erreur" on the public pages (issue 15): the message reaches staff, limited,
stored as typed and shown escaped, each académie's staff seeing their own."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from conventions import confirmations
from conventions.models import Convention, ErrorReport
from tests.portal_helpers import mark_issued
from tests.roles import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

LINK_RE = re.compile(r"https?://\S+/convention/([A-Za-z0-9_-]{43})/")
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(autouse=True)
def fresh_cache():
    # The per-address rate limit counts in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ceret(seed_data, settings):
    settings.STAFF_NOTIFICATION_EMAILS = ["ent-ecole@rectorat.example"]
    convention = Convention.objects.select_related("academie").get(
        commune__insee_code="66049", school_year__label="2026-2027"
    )
    confirmations.send_for_confirmation(convention)
    token = LINK_RE.search(mail.outbox[-1].body).group(1)
    mail.outbox.clear()
    return convention, token


FOOTER_LINK = '<a class="fr-footer__bottom-link" href="{}">Signaler une erreur</a>'


def report_url(token):
    return reverse("conventions:report_convention_error", args=[token])


def data(**overrides):
    return {"name": "Anne Martin", "email": "", "message": "Le SIRET est faux.", **overrides}


def test_every_public_page_links_to_the_form(client, ceret):
    _convention, token = ceret
    for url, href in [
        (reverse("conventions:home"), reverse("conventions:report_error")),
        (reverse("conventions:simulator"), reverse("conventions:report_error")),
        (reverse("conventions:confirm", args=[token]), "../signaler-une-erreur/"),
    ]:
        content = client.get(url).content.decode()
        assert (
            f'<a class="fr-footer__bottom-link" href="{href}">Signaler une erreur</a>' in content
        ), url


def test_the_issued_conventions_page_links_to_its_own_form(client, ceret):
    convention, _token = ceret
    token = mark_issued(convention).new_access_link()
    page = client.get(reverse("conventions:portal", args=[token]))
    assert (
        '<a class="fr-footer__bottom-link" href="signaler-une-erreur/">Signaler une erreur</a>'
        in page.content.decode()
    )
    # The cached page serves every visitor: the link holds no token.
    assert token not in page.content.decode()
    assert client.get(report_url(token)).status_code == 200


def test_a_report_on_a_convention_reaches_staff(client, ceret):
    convention, token = ceret
    referer = f"http://testserver/convention/{token}/confirmation/"
    page = client.get(report_url(token), HTTP_REFERER=referer)
    assert page.status_code == 200
    assert "Signaler une erreur : convention 2026-2027 – Céret" in page.content.decode()

    response = client.post(
        report_url(token),
        data(email="mairie@ceret.example", page=referer),
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == 302
    followed = client.get(response["Location"])
    assert "Merci : votre signalement a bien été transmis au service ENT-École" in (
        followed.content.decode()
    )
    report = ErrorReport.objects.get()
    assert report.convention == convention
    assert report.academie == convention.academie
    assert report.name == "Anne Martin"
    assert report.email == "mairie@ceret.example"
    assert report.ip_address == "192.0.2.7"
    assert not report.handled
    # The private token never reaches the stored address.
    assert report.page_url == "/convention/…/confirmation/"
    assert token not in report.page_url
    message = mail.outbox[-1]
    assert message.to == ["ent-ecole@rectorat.example"]
    assert "Céret" in message.subject
    assert "Le SIRET est faux." in message.body


def test_the_general_form_takes_an_optional_academie(client, seed_data, settings):
    settings.STAFF_NOTIFICATION_EMAILS = []
    url = reverse("conventions:report_error")
    response = client.post(url, data(message="Le simulateur oublie une école."))
    assert response.status_code == 302
    report = ErrorReport.objects.get()
    assert report.convention is None and report.academie is None
    assert mail.outbox == []


def test_errors_follow_the_summary_pattern(client, ceret):
    _convention, token = ceret
    response = client.post(report_url(token), data(name="", message="x" * 2001, email="non"))
    content = response.content.decode()
    assert response.status_code == 400
    assert "Votre signalement n'a pas été envoyé : 3 erreurs à corriger" in content
    assert '<a href="#id_name">Votre nom : Ce champ est obligatoire.</a>' in content
    assert 'href="#id_message"' in content and 'href="#id_email"' in content
    assert ErrorReport.objects.count() == 0


def test_no_more_than_the_daily_allowance_per_convention(client, ceret, settings):
    settings.PORTAL_REPORTS_PER_DAY = 2
    convention, token = ceret
    for n in range(2):
        # From several addresses: the allowance is the convention's.
        response = client.post(report_url(token), data(), REMOTE_ADDR=f"192.0.2.{n + 1}")
        assert response.status_code == 302
    sent = len(mail.outbox)
    response = client.post(report_url(token), data(), REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 400
    assert "Vous avez déjà signalé 2 erreurs aujourd&#x27;hui" in response.content.decode()
    assert ErrorReport.objects.filter(convention=convention).count() == 2
    assert len(mail.outbox) == sent


def test_the_general_form_has_a_daily_allowance_per_address(client, seed_data, settings):
    settings.PORTAL_REPORTS_PER_DAY = 1
    url = reverse("conventions:report_error")
    assert client.post(url, data(), REMOTE_ADDR="192.0.2.1").status_code == 302
    assert client.post(url, data(), REMOTE_ADDR="192.0.2.1").status_code == 400
    assert client.post(url, data(), REMOTE_ADDR="192.0.2.2").status_code == 302


def test_rate_limited_like_the_portal(client, ceret, settings):
    settings.PORTAL_RATE_LIMIT = 3
    _convention, token = ceret
    for _ in range(3):
        assert client.get(report_url(token)).status_code == 200
    response = client.get(report_url(token))
    assert response.status_code == 429
    assert "Trop de requêtes" in response.content.decode()


def test_an_unknown_link_is_a_404(client, seed_data):
    assert client.get(report_url("A" * 43)).status_code == 404


def test_the_text_is_stored_raw_and_shown_escaped(client, ceret, settings):
    _convention, token = ceret
    client.post(report_url(token), data(name=SCRIPT, message=SCRIPT))
    report = ErrorReport.objects.get()
    assert report.message == SCRIPT and report.name == SCRIPT
    # The e-mail is plain text: as typed.
    assert SCRIPT in mail.outbox[-1].body

    staff = make_user("gestion", academie="11")
    client.force_login(staff)
    for url in [
        reverse("admin:conventions_errorreport_changelist"),
        reverse("admin:conventions_errorreport_change", args=[report.pk]),
    ]:
        content = client.get(url).content.decode()
        assert "<script>alert" not in content, url
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in content, url


def reports_of_both_academies(ceret):
    convention, _token = ceret
    toulouse = Convention.objects.select_related("academie").get(commune__insee_code="31118")
    mine = ErrorReport.objects.create(
        convention=convention, academie=convention.academie, name="Céret", message="a"
    )
    theirs = ErrorReport.objects.create(
        convention=toulouse, academie=toulouse.academie, name="Toulouse", message="b"
    )
    general = ErrorReport.objects.create(name="Visiteur", message="c")
    return mine, theirs, general


@pytest.mark.parametrize(("academie", "own", "other"), [("11", 0, 1), ("16", 1, 0)])
def test_staff_see_and_handle_their_academies_reports_only(client, ceret, academie, own, other):
    reports = reports_of_both_academies(ceret)
    own_report, other_report, general = reports[own], reports[other], reports[2]
    staff = make_user("gestion", academie=academie)
    client.force_login(staff)
    changelist = reverse("admin:conventions_errorreport_changelist")
    listed = client.get(changelist).context["cl"].result_list
    assert set(listed) == {own_report, general}
    assert (
        client.get(
            reverse("admin:conventions_errorreport_change", args=[other_report.pk])
        ).status_code
        == 404
    )
    # A crafted action naming the other académie's report changes nothing.
    response = client.post(
        changelist,
        {"action": "mark_as_handled", "_selected_action": [other_report.pk, own_report.pk]},
    )
    assert response.status_code == 404
    assert not ErrorReport.objects.filter(handled=True).exists()

    response = client.post(
        changelist, {"action": "mark_as_handled", "_selected_action": [own_report.pk]}
    )
    assert response.status_code == 302
    own_report.refresh_from_db()
    other_report.refresh_from_db()
    assert own_report.handled and own_report.handled_by == staff
    assert own_report.handled_at is not None
    assert not other_report.handled


def test_marking_handled_needs_its_permission(client, ceret):
    own_report, _other, _general = reports_of_both_academies(ceret)
    viewer = make_user("comptabilite", academie="11")
    viewer.user_permissions.add(Permission.objects.get(codename="view_errorreport"))
    client.force_login(viewer)
    changelist = reverse("admin:conventions_errorreport_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    assert "mark_as_handled" not in page.content.decode()
    client.post(changelist, {"action": "mark_as_handled", "_selected_action": [own_report.pk]})
    own_report.refresh_from_db()
    assert not own_report.handled
