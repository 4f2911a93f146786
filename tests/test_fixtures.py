from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command

from communes.models import Academie, Departement
from conventions.models import Convention, SchoolYear, Signatory, Tariff

pytestmark = pytest.mark.django_db

OCCITANIE = {
    "16": ["009", "012", "031", "032", "046", "065", "081", "082"],
    "11": ["011", "030", "034", "048", "066"],
}


def counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"communes", "schools", "conventions"}
    }


def test_loading_the_fixtures_twice_changes_nothing(seed_data):
    before = counts()
    call_command("loaddata", "reference", "demo", verbosity=0)
    assert counts() == before


def test_reference_data_covers_the_region(seed_data):
    assert dict(Academie.objects.values_list("code", "name")) == {
        "16": "Toulouse",
        "11": "Montpellier",
    }
    for code, departements in OCCITANIE.items():
        assert sorted(
            Departement.objects.filter(academie__code=code).values_list("code", flat=True)
        ) == sorted(departements)
    assert list(SchoolYear.objects.order_by("label").values_list("label", flat=True)) == [
        f"{year}-{year + 1}" for year in range(2021, 2027)
    ]


def test_rates_signatories_and_end_dates_of_the_seeds(seed_data):
    rates = {
        (t.school_year.label, t.academie.code): t.rate
        for t in Tariff.objects.select_related("school_year", "academie")
    }
    assert rates == {
        ("2021-2022", "11"): Decimal("50.00"),
        ("2022-2023", "16"): Decimal("45.00"),
        ("2024-2025", "16"): Decimal("45.00"),
        ("2026-2027", "11"): Decimal("41.00"),
    }
    fourar = Signatory.objects.get(school_year__label="2024-2025", academie__code="16")
    assert fourar.name == "Mostafa FOURAR"
    assert fourar.titles == [
        "Recteur de l'académie de Toulouse",
        "par délégation de la Rectrice de la région académique Occitanie",
    ]
    end_dates = dict(SchoolYear.objects.values_list("label", "end_date"))
    assert str(end_dates["2024-2025"]) == "2025-09-05"
    assert str(end_dates["2021-2022"]) == "2022-09-01"


def test_the_demo_holds_the_four_seed_conventions(seed_data):
    rows = {
        (c.collectivite.name, c.commune.name, c.school_year.label, c.fee.amount)
        for c in Convention.objects.for_list()
    }
    assert rows == {
        ("COMMUNE DE RODEZ", "Rodez", "2024-2025", Decimal("450.00")),
        (
            "COMMUNE DE CASTELNAU D ESTRETEFONDS",
            "Castelnau-d'Estrétefonds",
            "2022-2023",
            Decimal("135.00"),
        ),
        (
            "Communauté de Communes Région Lézignanaise Corbières et Minervois",
            "Mouthoumet",
            "2021-2022",
            Decimal("50.00"),
        ),
        ("COMMUNE DE CERET", "Céret", "2026-2027", Decimal("164.00")),
    }
    rodez = Convention.objects.get(commune__name="Rodez")
    assert rodez.schools.filter(sector="prive").get().uai == "0121071Z"


def test_each_academie_of_the_seeds_has_a_contact(seed_data):
    contacts = {
        academie.code: (academie.contact_address.splitlines()[-1], academie.contact_email)
        for academie in Academie.objects.all()
    }
    assert contacts == {
        "16": ("31077 Toulouse Cedex 4", "ent-ecole@ac-toulouse.fr"),
        "11": ("34064 Montpellier Cedex 2", "ent-ecole@ac-montpellier.fr"),
    }
    assert all(academie.contact_phone for academie in Academie.objects.all())
