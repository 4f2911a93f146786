import html
import re

import pytest
from django.urls import reverse

from conventions.models import Convention
from tests.portal_helpers import mark_issued

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]


@pytest.fixture
def ceret(seed_data):
    return mark_issued(
        Convention.objects.get(commune__insee_code="66049", school_year__label="2026-2027")
    )


def send_link(admin_client, *conventions):
    return admin_client.post(
        reverse("admin:conventions_convention_changelist"),
        {
            "action": "send_link",
            "_selected_action": [c.pk for c in conventions],
            "confirmed": "yes",
        },
        follow=True,
    )


def test_send_link_emails_a_working_link_in_french(
    client, admin_client, ceret, mailoutbox, settings
):
    settings.SITE_URL = "https://entconv.example.fr"
    response = send_link(admin_client, ceret)
    assert "lien envoyé à ent-ecole@mairie-ceret.example" in response.content.decode()

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ent-ecole@mairie-ceret.example"]
    assert mail.subject == "Convention ENT-École 2026-2027 – Céret : à signer"
    assert "4 écoles × 41,00\N{NO-BREAK SPACE}€ = 164,00\N{NO-BREAK SPACE}€" in mail.body
    link = next(line for line in mail.body.splitlines() if line.startswith("https://"))
    assert link.startswith("https://entconv.example.fr/convention/")

    ceret.refresh_from_db()
    assert ceret.status == "envoyee"
    assert ceret.sent_at is not None
    assert ceret.link_sent_at is not None
    page = client.get(link.removeprefix("https://entconv.example.fr"))
    assert page.status_code == 200
    assert "Envoyée le" in page.content.decode()


def test_sending_again_replaces_the_link(client, admin_client, ceret, mailoutbox):
    send_link(admin_client, ceret)
    send_link(admin_client, ceret)
    first, second = (
        next(line for line in mail.body.splitlines() if "/convention/" in line)
        for mail in mailoutbox
    )
    path = "/convention/" + first.split("/convention/")[1]
    assert client.get(path).status_code == 404
    assert client.get("/convention/" + second.split("/convention/")[1]).status_code == 200
    ceret.refresh_from_db()
    assert ceret.status == "envoyee"


def test_draft_or_no_address_is_refused_with_a_message(admin_client, seed_data, mailoutbox):
    draft = Convention.objects.get(commune__insee_code="12202")
    response = send_link(admin_client, draft).content.decode()
    assert (
        "Seule une convention émise, envoyée ou signée par la collectivité peut recevoir un "
        "lien privé ; celle-ci est « brouillon »."
    ) in html.unescape(response)
    issued = mark_issued(draft)
    issued.collectivite.emails = ""
    issued.collectivite.save()
    response = send_link(admin_client, issued).content.decode()
    assert "n&#x27;a aucune adresse e-mail de contact" in response
    assert mailoutbox == []
    issued.refresh_from_db()
    assert issued.link_sent_at is None


def test_revoke_action(client, admin_client, ceret):
    token = ceret.new_access_link()
    assert client.get(f"/convention/{token}/").status_code == 200
    admin_client.post(
        reverse("admin:conventions_convention_changelist"),
        {"action": "revoke_link", "_selected_action": [ceret.pk]},
    )
    assert client.get(f"/convention/{token}/").status_code == 404


def test_regenerate_action_shows_the_new_link_once(client, admin_client, ceret):
    old = ceret.new_access_link()
    response = admin_client.post(
        reverse("admin:conventions_convention_changelist"),
        {"action": "regenerate_link", "_selected_action": [ceret.pk]},
        follow=True,
    ).content.decode()
    (new_path,) = re.findall(r"https?://[^/]+(/convention/[A-Za-z0-9_-]{43}/)", response)
    assert client.get(new_path).status_code == 200
    assert client.get(f"/convention/{old}/").status_code == 404


def test_mail_server_failure_records_nothing(admin_client, ceret, settings):
    # Nothing listens on port 9 (discard): the SMTP connection is refused.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    response = send_link(admin_client, ceret).content.decode()
    assert "l&#x27;envoi de l&#x27;e-mail a échoué" in response
    ceret.refresh_from_db()
    assert ceret.status == "emise"
    assert ceret.link_sent_at is None
    assert ceret.access_token_hash is None
