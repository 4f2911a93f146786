import json
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.template import engines
from django.utils import translation

from conventions.models import Convention, Signatory
from conventions.templatetags.money import euros_short
from tests.seeds import SEEDS as SEED_DIR

TEMPLATES_FILE = settings.BASE_DIR / "fixtures" / "convention_templates.json"

# What the contract with the PDF pipeline allows in a body (anything else would escape the
# layout's CSS or the PDF/A tagging).
ALLOWED_TAGS = {"h1", "h2", "h3", "p", "ul", "ol", "li", "strong", "em", "br", "table"}
ALLOWED_CLASSES = {
    "section": {"parties", "annex"},
    "div": {"party", "signatures", "signature"},
    "ol": {"schools"},
}

SCHOOL_YEAR_PAIR = re.compile(r"\b20\d\d-20\d\d\b")


def load_templates():
    entries = json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))
    templates = {}
    for entry in entries:
        assert entry["model"] == "conventions.conventiontemplate"
        fields = entry["fields"]
        academie = fields["academie"][0] if fields["academie"] else None
        key = (fields["school_year"][0], academie)
        assert key not in templates, f"deux textes pour {key}"
        templates[key] = fields["body"]
    return templates


TEMPLATES = load_templates()


def body_for(convention):
    # The most specific text wins, as the PDF pipeline picks it.
    year = convention.school_year.label
    return TEMPLATES.get((year, convention.academie.code)) or TEMPLATES[(year, None)]


def context_for(convention):
    signatory = Signatory.objects.get(
        school_year=convention.school_year, academie=convention.academie
    )
    fee = convention.fee
    enrollments = convention.enrollments.filter(active=True).select_related(
        "school__commune__departement"
    )
    return {
        "academie": convention.academie,
        "signatory_name": signatory.name,
        "signatory_titles": signatory.titles,
        "collectivite": convention.collectivite,
        "commune": convention.commune,
        "school_year": convention.school_year.label,
        "rate": fee.rate,
        "school_count": fee.school_count,
        "amount": fee.amount,
        "school_labels": [e.school.convention_label() for e in enrollments],
        "end_date": convention.school_year.end_date,
        "document_date": convention.document_date,
        "signing_city": convention.academie.signing_city,
        "reference": convention.reference,
    }


def render(body, context):
    # Workers and management commands may run under another language: dates stay French.
    with translation.override("fr"):
        return engines["django"].from_string(body).render(context)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_starttag(self, tag, attrs):
        self.parts.append("\n")

    def handle_endtag(self, tag):
        self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def text_of(html):
    parser = _Text()
    parser.feed(html)
    parser.close()
    # Collapses "\xa0" too: euros_short separates the figure and the sign with one.
    return " ".join("".join(parser.parts).split())


def get_seed(insee, year):
    return Convention.objects.select_related(
        "collectivite", "commune", "school_year", "academie"
    ).get(commune__insee_code=insee, school_year__label=year)


# (INSEE code, school year, fee sentence, end date, place and date) as the seeds print them,
# typos fixed.
SEEDS = [
    (
        "12202",
        "2024-2025",
        "La collectivité a inscrit 10 école(s) pour cette année scolaire, pour un montant "
        "correspondant à 10 x 45 € soit 450 €",
        "se termine au 5 septembre 2025.",
        "A Toulouse, le 28 mai 2024",
    ),
    (
        "31118",
        "2022-2023",
        "La collectivité a inscrit 3 école(s) pour cette année scolaire, pour un montant "
        "correspondant à 3 x 45 € soit 135 €",
        "se termine au 5 septembre 2023.",
        "A Toulouse, le 27 octobre 2022",
    ),
    (
        "11260",
        "2021-2022",
        "Au titre de l'année scolaire 2021-2022, 1 école(s) est/sont inscrite(s) à l'ENT-école "
        "pour un montant correspondant à 50 € TTC (1 école(s) x 50 € TTC).",
        "se termine au 1er septembre 2022.",
        "A Montpellier, le 13 septembre 2021",
    ),
    (
        "66049",
        "2026-2027",
        "La collectivité a inscrit 4 école(s) pour cette année scolaire, pour un montant "
        "correspondant à 4 x 41 € soit 164 €",
        "se termine au 5 septembre 2027.",
        "A Montpellier, le 21 mai 2026",
    ),
]


@pytest.mark.parametrize(("insee", "year", "fee_sentence", "end", "place_and_date"), SEEDS)
def test_seed_convention_reads_as_signed(
    seed_data, insee, year, fee_sentence, end, place_and_date
):
    convention = get_seed(insee, year)
    context = context_for(convention)
    html = render(body_for(convention), context)
    text = text_of(html)

    collectivite = convention.collectivite
    assert collectivite.name in text
    assert f"SIRET : {collectivite.siret}" in text
    assert collectivite.representative_name in text
    assert collectivite.representative_title in text

    schools = list(convention.schools.all())
    assert len(schools) == len(context["school_labels"]) == convention.fee.school_count > 0
    for school in schools:
        label = school.convention_label()
        assert label.endswith(f" - {school.uai}")
        assert text.count(label) == 1

    assert fee_sentence in text
    # The seeds' figures, with the no-break space the filter prints before the sign.
    assert "\xa0€" in html
    assert end in text
    assert place_and_date in text

    assert context["signatory_name"] in text
    for title in context["signatory_titles"]:
        assert title in text

    assert year in text
    assert set(SCHOOL_YEAR_PAIR.findall(text)) == {year}


def test_older_montpellier_model_lists_schools_in_annex_1(seed_data):
    convention = get_seed("11260", "2021-2022")
    text = text_of(render(body_for(convention), context_for(convention)))
    annex = text.split("ANNEXE 1 - Liste des écoles inscrites à l'ENT-école pour l'année scolaire")
    assert len(annex) == 2
    assert annex[1].startswith(" 2021-2022 MOUTHOUMET - 11 - ")
    assert "0110422Z" in annex[1]
    assert "Commune : MOUTHOUMET" in annex[0]
    assert "ARTICLE 7 – Montant de la participation financière" in annex[0]


def test_toulouse_texts_are_specific_to_toulouse():
    assert set(TEMPLATES) == {
        ("2021-2022", "11"),
        ("2022-2023", "16"),
        ("2024-2025", "16"),
        ("2026-2027", "11"),
    }


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_body_types_no_year_amount_or_party(key):
    body = TEMPLATES[key]
    # "depuis 2013" is history, not this convention's year.
    assert set(re.findall(r"\b(?:19|20)\d\d\b", body)) <= {"2013"}
    assert not re.search(r"\d\s*(?:€|euros?\b)", body)
    for typed in ("RODEZ", "CERET", "CASTELNAU", "MOUTHO", "FOURAR", "Drucker", "BÉJEAN"):
        assert typed.lower() not in body.lower()
    for typo in ("Bénéficiaire d'un plan", "MOUTHOMET", "PROUCLE", "soit,", "€ ."):
        assert typo not in body


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_body_keeps_to_the_contract_html(key):
    seen = set()

    class Checker(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag in ALLOWED_CLASSES:
                assert set(attrs) == {"class"}, (tag, attrs)
                assert attrs["class"] in ALLOWED_CLASSES[tag], (tag, attrs)
            else:
                assert tag in ALLOWED_TAGS, tag
                assert not attrs, (tag, attrs)
            seen.add(tag)

    Checker().feed(TEMPLATES[key])
    assert {"h1", "ol"} <= seen


def test_apostrophes_are_consistent():
    # The straight apostrophe throughout, as in the contract's required sentences.
    for body in TEMPLATES.values():
        assert "’" not in body
        assert "'" in body


def test_missing_values_are_not_papered_over(seed_data):
    # Refusing an incomplete convention is the PDF pipeline's job (its completeness check);
    # the text itself must never put a plausible value, or nothing noticeable, in its place.
    marker = Decimal("987654.32")
    for (year, academie), body in TEMPLATES.items():
        for fallback in ("default", "firstof", "{% empty", "yesno"):
            assert fallback not in body, (year, fallback)
        # The only conditions allowed are the punctuation between signatory lines.
        assert set(re.findall(r"{%\s*if\s+(?:not\s+)?(\S+)", body)) <= {"forloop.last"}

        context = context_for(
            Convention.objects.get(school_year__label=year, academie__code=academie)
        )
        with_marker = render(body, context | {"amount": marker, "school_labels": ["ÉCOLE-TÉMOIN"]})
        missing = render(body, context | {"amount": None, "school_labels": []})

        # A missing value leaves a hole exactly where it belongs; nothing else changes.
        assert with_marker.count(euros_short(marker)) == 1, year
        assert with_marker.count("ÉCOLE-TÉMOIN") == 1, year
        assert missing == with_marker.replace(euros_short(marker), "").replace(
            "<li>ÉCOLE-TÉMOIN</li>\n", ""
        ), year


# Corrections made to the seeds' wording, and nothing else: OCR slips, accents missing on
# capitals, and words that are data (civility, names) rather than wording.
SEED_FIXES = [
    ("Bénéficiaire d'un plan", "Bénéficier d'un plan"),
    ("l'Education", "l'Éducation"),
    ("l'Ecole", "l'École"),
    ("région académique de l'Éducation", "région académique du numérique pour l'Éducation"),
    ("les collectivité signataires", "les collectivités signataires"),
    ("transmis au niveau 2\n", "transmis au niveau 2.\n"),
    ("ACADEMIE", "ACADÉMIE"),
    ("COLLECTIVITE", "COLLECTIVITÉ"),
    ("PREAMBULE", "PRÉAMBULE"),
    ("50 euros TTC", "50 € TTC"),
    ("<sup>er</sup>", "er"),
    ("Monsieur ", ""),
]
# Lines that are the seed's data, or the stamps and page headers around the convention.
NOT_WORDING = re.compile(
    r"€ ?soit|€TTC|\d{7}[A-Z]|Accusé de réception|^\d{3}-\d{8,9}-|^Reçu le|^\d{4}-\d\d-\d\d \d\d:"
    r"|^Convention de partenariat pour la mise à disposition de l'ENT-école dans"
    r"|^Année scolaire|en sa qualité de$|^Rectrice|^Représentée? par|Béjean|BEJEAN|Drucker"
    r"|^Adresse|^SIRET|^COMMUNE DE|^LA COLLECTIVITÉ :|^Communauté|^Lézignanaise"
    r"|^A (?:Toulouse|Montpellier), le|se termine"
)


def seed_wording_lines(path):
    text = path.read_text(encoding="utf-8")
    for wrong, right in SEED_FIXES:
        text = text.replace(wrong, right)
    text = text[text.index("Il est convenu ce qui suit") :]
    for line in text.splitlines():
        line = " ".join(re.sub(r"^[#\s*-]+|\*+$|\*\*", "", line).split())
        if len(line) >= 25 and not NOT_WORDING.search(line):
            yield line


@pytest.mark.parametrize(
    ("seed", "insee", "year"),
    [
        ("001", "12202", "2024-2025"),
        ("002", "31118", "2022-2023"),
        ("003", "11260", "2021-2022"),
        ("004", "66049", "2026-2027"),
    ],
)
def test_body_keeps_the_seed_wording_word_for_word(seed_data, seed, insee, year):
    (path,) = SEED_DIR.glob(f"{seed}_*.txt")
    convention = get_seed(insee, year)
    text = text_of(render(body_for(convention), context_for(convention)))
    lines = list(seed_wording_lines(path))
    assert len(lines) > 40
    missing = [line for line in lines if line not in text]
    assert not missing
