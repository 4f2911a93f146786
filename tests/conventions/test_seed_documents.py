import pytest
from django.conf import settings
from django.core.management import call_command

from conventions.models import Convention
from conventions.pdf import ConventionDocument
from conventions.templatetags.dates import long_date
from tests.pdf import pdf_text

# The wording of the four years is shipped by fixtures/convention_templates.json.
TEMPLATES = settings.BASE_DIR / "fixtures" / "convention_templates.json"
pytestmark = pytest.mark.skipif(
    not TEMPLATES.exists(), reason="fixtures/convention_templates.json not merged yet"
)

SEEDS = {
    # INSEE code: the exact fee sentence the seed prints
    "12202": "La collectivité a inscrit 10 école(s) pour cette année scolaire, pour un "
    "montant correspondant à 10 x 45 € soit 450 €",
    "31118": "La collectivité a inscrit 3 école(s) pour cette année scolaire, pour un "
    "montant correspondant à 3 x 45 € soit 135 €",
    "11260": "Au titre de l'année scolaire 2021-2022, 1 école(s) est/sont inscrite(s) à "
    "l'ENT-école pour un montant correspondant à 50 € TTC (1 école(s) x 50 € TTC).",
    "66049": "La collectivité a inscrit 4 école(s) pour cette année scolaire, pour un "
    "montant correspondant à 4 x 41 € soit 164 €",
}


@pytest.mark.parametrize("insee_code", sorted(SEEDS))
def test_each_seed_convention_prints_its_parties_schools_fee_and_dates(seed_data, insee_code):
    call_command("loaddata", "convention_templates", verbosity=0)
    convention = Convention.objects.get(commune__insee_code=insee_code)
    document = ConventionDocument.for_draft(convention)

    text = pdf_text(document.render(draft=True))

    collectivite = convention.collectivite
    assert collectivite.name in text
    assert collectivite.siret in text.replace(" ", "")
    assert collectivite.representative_name in text
    for label in document.school_labels:
        assert label in text
    assert SEEDS[insee_code] in text
    assert document.school_year in text
    assert long_date(document.end_date) in text
    assert document.signatory_name in text
    assert "Page 1 sur" in text
