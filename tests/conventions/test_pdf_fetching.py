"""A convention text never pulls a server file or a remote resource into a PDF."""

import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from conventions.issuing import issue
from conventions.models import ConventionTemplate
from conventions.pdf import ConventionDocument, html_to_pdf, preview
from tests.factories import SchoolYearFactory, complete_convention

# What a hostile or careless text may hold: a server file by absolute URL, a project file by
# a path relative to the project, a remote file, the same through CSS and images.
HOSTILE_BODIES = [
    ('<p><a rel="attachment" href="file:///etc/passwd">annexe</a></p>', "file:///etc/passwd"),
    ('<p><a rel="attachment" href="manage.py">annexe</a></p>', "manage.py"),
    ('<p><a rel="attachment" href="../../etc/hostname">x</a></p>', "../../etc/hostname"),
    ('<p><img src="https://exemple.fr/logo.png"></p>', "https://exemple.fr/logo.png"),
    ('<p><img src="data:image/png;base64,AAAA"></p>', "data:image/png;base64,AAAA"),
    ('<p style="background: url(file:///etc/passwd)">x</p>', "style"),
    ('<style>@import url("file:///etc/passwd");</style>', "style"),
    ('<link rel="attachment" href="file:///etc/passwd">', "file:///etc/passwd"),
    ('<p><object data="file:///etc/passwd"></object></p>', "file:///etc/passwd"),
]


def attachments(pdf_bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf_bytes)
        listing = subprocess.run(
            ["pdfdetach", "-list", str(path)], check=True, capture_output=True, text=True
        ).stdout
    return [line.split(": ", 1)[1] for line in listing.splitlines()[1:]]


def test_the_renderer_attaches_no_server_file():
    html = (
        "<html><body><p>Texte</p>"
        '<p><a rel="attachment" href="file:///etc/passwd">passwd</a></p>'
        '<p><a rel="attachment" href="manage.py">manage</a></p>'
        '<p><a rel="attachment" href="pyproject.toml">pyproject</a></p>'
        '<link rel="attachment" href="file:///etc/hostname">'
        '<p><img src="file:///etc/passwd"></p>'
        "</body></html>"
    )
    # Bypasses the per-process cache: this HTML is rendered here and nowhere else.
    pdf = html_to_pdf.__wrapped__(html, "{}", date(2026, 5, 21))

    assert attachments(pdf) == ["convention.json"]


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "shown"), HOSTILE_BODIES)
def test_saving_a_text_that_references_a_file_or_an_address_is_refused(body, shown):
    template = ConventionTemplate(
        school_year=SchoolYearFactory(), name="Modèle", body=f"<h1>Convention</h1>\n{body}"
    )

    with pytest.raises(ValidationError) as error:
        template.full_clean()

    (message,) = error.value.message_dict["body"]
    assert "ligne 2" in message
    assert shown in message
    assert "n'est pas permis" in message


@pytest.mark.django_db
def test_a_text_within_the_contract_is_accepted():
    template = ConventionTemplate(
        school_year=SchoolYearFactory(),
        name="Modèle",
        body=(
            '<h1>Convention</h1><section class="parties"><div class="party"><p>Voir '
            "https://www.ac-toulouse.fr</p></div></section>"
            '<ol class="schools">{% for label in school_labels %}<li>{{ label }}</li>'
            "{% endfor %}</ol><table><tr><th>a</th><td>b</td></tr></table>"
            '<div class="signatures"><div class="signature"><p><strong>x</strong><br>'
            "<em>y</em></p></div></div>"
        ),
    )

    template.full_clean()


@pytest.mark.django_db
def test_a_stored_text_that_references_a_file_is_not_rendered():
    # Saved before the check existed, or loaded from a fixture: clean() never ran.
    convention = complete_convention()
    template = ConventionTemplate.objects.get(school_year=convention.school_year)
    template.body += '<p><a rel="attachment" href="file:///etc/passwd">annexe</a></p>'
    template.save()

    with pytest.raises(ValidationError) as from_preview:
        preview(convention)
    with pytest.raises(ValidationError) as from_sample:
        ConventionDocument.sample(template).render(draft=True)
    with pytest.raises(ValidationError) as from_issuing:
        issue(convention)

    for error in (from_preview, from_sample, from_issuing):
        assert "file:///etc/passwd" in error.value.messages[0]
    convention.refresh_from_db()
    assert convention.status == "brouillon"
    assert not convention.pdf
