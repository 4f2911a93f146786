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
