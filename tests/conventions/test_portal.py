import hashlib
import secrets

import pytest
from django.urls import reverse

from conventions.models import Convention, hash_access_token
from tests.portal_helpers import issued_ceret, make_pdf, mark_issued

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]


@pytest.fixture
def ceret(seed_data):
    return issued_ceret()


def test_page_shows_the_convention_in_french(client, ceret):
    convention, token = ceret
    response = client.get(reverse("conventions:portal", args=[token]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "COMMUNE DE CERET" in content
    assert "Céret" in content
    assert "2026-2027" in content
    assert "académie de Montpellier" in content
    assert "4 écoles × 41,00\N{NO-BREAK SPACE}€ = 164,00\N{NO-BREAK SPACE}€" in content
    assert "cent soixante-quatre euros" in content
    assert "émise" in content
    for label in convention.issued_school_labels:
        name, uai = label.rsplit(" - ", 1)
        assert f"<td>{name}</td><td>{uai}</td>" in content
    assert content.count("<tr><td>") == 4
    assert "Télécharger la convention (PDF)" in content
    assert "Déposer la convention signée" in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert response["Cache-Control"].startswith("max-age=0")


def test_page_shows_frozen_labels_not_current_names(client, ceret):
    convention, token = ceret
    school = convention.schools.first()
    old_name = school.name
    school.name = "Nom changé après émission"
    school.save()
    content = client.get(reverse("conventions:portal", args=[token])).content.decode()
    assert "Nom changé après émission" not in content
    assert old_name.split()[-1].upper() in content.upper()


def test_pdf_download_is_the_stored_file_as_an_attachment(client, ceret):
    convention, token = ceret
    response = client.get(reverse("conventions:portal_pdf", args=[token]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == convention.pdf_sha256
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="convention-ent-ecole-2026-2027-ceret.pdf"'
    )


def test_random_tokens_resolve_to_nothing(client, ceret):
    hashes = [hash_access_token(secrets.token_urlsafe(32)) for _ in range(10_000)]
    # The same lookup as the view, 500 tokens per query to stay fast.
    hits = sum(
        Convention.objects.exclude(status="brouillon")
        .filter(access_token_hash__in=hashes[start : start + 500])
        .count()
        for start in range(0, len(hashes), 500)
    )
    assert hits == 0
    # A handful through the real URL, views and converter.
    for _ in range(20):
        response = client.get(reverse("conventions:portal", args=[secrets.token_urlsafe(32)]))
        assert response.status_code == 404


def test_revoked_and_regenerated_tokens_answer_a_404_saying_what_to_do(client, ceret):
    convention, token = ceret
    convention.revoke_access_link()
    response = client.get(reverse("conventions:portal", args=[token]))
    assert response.status_code == 404
    assert "Ce lien n'est plus valable" in response.content.decode()
    assert client.get(reverse("conventions:portal_pdf", args=[token])).status_code == 404

    new_token = convention.new_access_link()
    assert client.get(reverse("conventions:portal", args=[new_token])).status_code == 200
    old = convention.new_access_link()
    assert client.get(reverse("conventions:portal", args=[new_token])).status_code == 404
    assert client.get(reverse("conventions:portal", args=[old])).status_code == 200


def test_malformed_token_is_a_404(client, ceret):
    assert client.get("/convention/abc/").status_code == 404
    assert client.get("/convention/" + "a" * 44 + "/").status_code == 404


def test_only_the_hash_of_the_token_is_stored(ceret):
    convention, token = ceret
    convention.refresh_from_db()
    assert token not in convention.access_token_hash
    assert convention.access_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 43  # 32 random bytes, 256 bits


def test_draft_convention_gets_no_link(seed_data):
    convention = Convention.objects.get(commune__insee_code="12202")
    with pytest.raises(Exception, match="Seule une convention émise"):
        convention.new_access_link()
    mark_issued(convention, make_pdf(2))
    assert convention.new_access_link()
