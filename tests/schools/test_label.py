import pytest

from schools.models import School


@pytest.mark.parametrize(
    ("uai", "label"),
    [
        ("0120595G", "RODEZ - 12 - E.P.PU CAMBON - 0120595G"),
        ("0121071Z", "RODEZ - 12 - E.P.PR SAINTE-PROCULE - 0121071Z"),
        ("0120612A", "RODEZ - 12 - E.E.PU FERDINAND FOCH - 0120612A"),
        ("0120611Z", "RODEZ - 12 - E.M.PU PARAIRE - 0120611Z"),
        ("0311710R", "CASTELNAU-D'ESTRETEFONDS - 31 - E.E.PU ECOLE LAIQUE - 0311710R"),
        ("0660560A", "CERET - 66 - E.E.PU MARC CHAGALL - 0660560A"),
    ],
)
def test_school_prints_itself_as_the_conventions_do(seed_data, uai, label):
    assert School.objects.get(uai=uai).convention_label() == label


def school_in(commune_name, departement, **fields):
    from tests.factories import CommuneFactory, DepartementFactory, SchoolFactory

    commune = CommuneFactory(
        name=commune_name, departement=DepartementFactory(code=departement, name="Dépt")
    )
    return SchoolFactory(commune=commune, **fields)


# Rows of the annuaire whose name is only generic; the rectorat's lists print the locality.
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "kind", "address", "commune", "printed"),
    [
        ("Ecole primaire", "primaire", "Hameau de Mathaly", "Moissac", "E.P.PU HAMEAU DE MATHALY"),
        (
            "Ecole maternelle publique",
            "maternelle",
            "Lieu-dit Le Battut",
            "Anglès",
            "E.M.PU LE BATTUT",
        ),
        (
            "Ecole élémentaire",
            "elementaire",
            "Quartier Enfontanges",
            "Ax",
            "E.E.PU QUARTIER ENFONTANGES",
        ),
        (
            "Ecole primaire",
            "primaire",
            "21 chemin des communaux\nRAMEROT",
            "Bourret",
            "E.P.PU RAMEROT",
        ),
        # A street or "le bourg" names no place: the commune does.
        ("Ecole primaire", "primaire", "Route de Salza", "Mouthoumet", "E.P.PU MOUTHOUMET"),
        ("Ecole primaire publique", "primaire", "LE BOURG\nLE BOURG", "Camjac", "E.P.PU CAMJAC"),
        ("ECOLE MATERNELLE PUBLIQUE", "maternelle", "1 route Carrera", "Visker", "E.M.PU VISKER"),
        ("école primaire", "primaire", "", "Chanac", "E.P.PU CHANAC"),
        # A name of its own stays.
        ("Ecole primaire publique Cambon", "primaire", "Hameau de X", "Rodez", "E.P.PU CAMBON"),
    ],
)
def test_a_generic_name_prints_the_locality_of_the_address(name, kind, address, commune, printed):
    school = school_in(commune, "082", name=name, kind=kind, address=address)

    assert school.convention_label() == (
        f"{commune.upper().replace('È', 'E')} - 82 - {printed} - {school.uai}"
    )


@pytest.mark.django_db
def test_a_printed_name_set_by_staff_wins():
    school = school_in(
        "Castelnau-d'Estrétefonds", "031", name="Ecole primaire publique Daniel Dupuy",
        printed_name="Fondada",
    )  # fmt: skip

    assert school.convention_label() == (
        f"CASTELNAU-D'ESTRETEFONDS - 31 - E.P.PU FONDADA - {school.uai}"
    )


def test_mouthoumet_s_generic_school_prints_its_commune(seed_data):
    school = School.objects.get(uai="0110422Z")
    assert school.convention_label() == "MOUTHOUMET - 11 - E.P.PU MOUTHOUMET - 0110422Z"
