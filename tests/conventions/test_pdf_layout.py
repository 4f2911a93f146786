"""The signature page as a person reads it, checked from the PDF itself."""

import re

import pytest
from django.core.management import call_command

from conventions.models import Convention
from conventions.pdf import ConventionDocument
from conventions.templatetags.dates import long_date
from tests.pdf import pdf_pages, pdf_words

# Between the last letter of the collectivité's column and the first of the académie's.
MIN_GAP = 20  # points
# A4 is 841.9 pt high; the bottom margin (24 mm, 68 pt) holds the footer.
FOOTER_TOP = 841.9 - 68
NUMERIC_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")


@pytest.fixture
def shipped_texts(seed_data):
    call_command("loaddata", "convention_templates", verbosity=0)


def issued_look(insee_code):
    convention = Convention.objects.get(commune__insee_code=insee_code)
    document = ConventionDocument.for_draft(convention)
    return document, document.render(draft=False)


def signature_page(words, city):
    """The page and height of the "A <city>, le" line."""
    for index, (page, _, y0, _, _, word) in enumerate(words):
        if word == "A" and words[index + 1][5] == f"{city}," and words[index + 2][5] == "le":
            return page, y0
    raise AssertionError(f"pas de ligne « A {city}, le … »")


@pytest.mark.parametrize(("insee_code", "city"), [("31118", "Toulouse"), ("11260", "Montpellier")])
def test_place_date_and_both_signatures_share_a_page_in_two_columns_apart(
    shipped_texts, insee_code, city
):
    document, pdf = issued_look(insee_code)
    words = pdf_words(pdf)
    page, date_y = signature_page(words, city)
    # Below the place and date, above the footer ("Réf. …", "Page N sur M").
    below = [w for w in words if w[0] == page and date_y + 1 < w[2] and w[4] < FOOTER_TOP]

    collectivite = document.collectivite
    signatory_first_word = document.signatory_name.split()[0]
    right_edges = [w[1] for w in below if w[5] == signatory_first_word]
    assert right_edges, f"{document.signatory_name} n'est pas sur la page de « A {city}, le »"
    right_edge = right_edges[0]
    left = [w for w in below if w[1] < right_edge - 1]
    right = [w for w in below if w[1] >= right_edge - 1]
    left_text = " ".join(w[5] for w in left)
    right_text = " ".join(w[5] for w in right)

    # Both blocks whole, on the page of the place and date.
    assert collectivite.representative_name in left_text
    assert collectivite.name in left_text
    assert document.signatory_name in right_text
    assert document.signatory_titles[0].split()[0] in right_text
    gap = min(w[1] for w in right) - max(w[3] for w in left)
    assert gap >= MIN_GAP, (gap, left_text, right_text)

    # And as pdftotext lays the page out: the signatory's name never runs into the
    # collectivité's column.
    layout = pdf_pages(pdf, layout=True)[page - 1]
    (line,) = [line for line in layout.splitlines() if document.signatory_name in line]
    assert re.search(rf"(^\s*|\S\s{{4,}}){re.escape(document.signatory_name)}", line), line


@pytest.mark.parametrize("insee_code", ["12202", "31118", "11260", "66049"])
def test_one_date_style_from_top_to_signature(shipped_texts, insee_code):
    document, pdf = issued_look(insee_code)
    text = " ".join("".join(pdf_pages(pdf)).split())

    assert not NUMERIC_DATE.findall(text)
    city = document.academie.signing_city
    assert f"A {city}, le {long_date(document.document_date)}" in text
