import openpyxl
import pytest
from django.core.management import CommandError, call_command

from schools.annuaire import import_annuaire
from schools.models import School
from tests.schools.annuaire_rows import OCCITANIE, read_rows, row_of, set_value, write

# Three real school rows (lines 2, 3 and 4 of the files built here), then a lycée.
UAIS = ["0820178Y", "0121071Z", "0110422Z", "0120022J"]


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)


@pytest.fixture
def real():
    header, rows = read_rows()
    return header, [row_of(rows, uai) for uai in UAIS]


def refused(path, **kwargs):
    report = import_annuaire(path, **kwargs)
    assert report.refused
    assert School.objects.count() == 0
    return report.fatal


def test_the_good_file_imports(reference, real, tmp_path):
    header, rows = real
    report = import_annuaire(write(tmp_path / "bon.csv", header, rows))
    assert len(report.created) == 3


def test_comma_separators_are_refused(reference, real, tmp_path):
    header, rows = real
    path = write(tmp_path / "virgules.csv", header, rows, separator=",")

    message = refused(path)

    assert "virgules.csv" in message
    assert "ligne 1" in message
    assert "séparées par « , »" in message


def test_windows_1252_is_refused_with_its_line_and_byte(reference, real, tmp_path):
    header, rows = real
    path = write(tmp_path / "ansi.csv", header, rows, encoding="cp1252")

    message = refused(path)

    # Line 2 is "Ecole Elémentaire Pierre Chabrié": é is 0xE9 in Windows-1252, not UTF-8.
    assert "ansi.csv" in message
    assert "n'est pas encodé en UTF-8 : ligne 2, octet 0xE9 en position 18" in message
    assert "Windows-1252" in message


def test_utf8_without_bom_is_read(reference, real, tmp_path):
    header, rows = real
    report = import_annuaire(write(tmp_path / "sans-bom.csv", header, rows, encoding="utf-8"))
    assert len(report.created) == 3


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("SIREN_SIRET", "2,17003E+13", "notation scientifique"),
        ("Code_departement", "82", "zéros initiaux ont sans doute été supprimés"),
        ("Identifiant_de_l_etablissement", "820178Y", "zéro initial a sans doute été supprimé"),
        ("Identifiant_de_l_etablissement", "0820178Z", "devrait être « Y », pas « Z »"),
        ("Code_commune", "8211", "code INSEE de commune attendu sur 5 caractères"),
        ("Statut_public_prive", "", "secteur attendu"),
    ],
)
def test_a_damaged_value_is_refused_with_file_line_column_and_value(
    reference, real, tmp_path, column, value, expected
):
    header, rows = real
    rows[0] = set_value(header, rows[0], column, value)
    path = write(tmp_path / "excel.csv", header, rows)

    message = refused(path)

    assert f"excel.csv, ligne 2, colonne « {column} », valeur « {value} »" in message
    assert expected in message
    assert "1 ligne invalide, rien n'a été enregistré" in message


def test_skip_invalid_imports_the_valid_rows_and_lists_the_others(reference, real, tmp_path):
    header, rows = real
    rows[0] = set_value(header, rows[0], "Identifiant_de_l_etablissement", "820178Y")
    path = write(tmp_path / "excel.csv", header, rows)

    report = import_annuaire(path, skip_invalid=True)

    assert not report.refused
    assert sorted(School.objects.values_list("uai", flat=True)) == ["0110422Z", "0121071Z"]
    assert report.error_messages() == [
        "excel.csv, ligne 2, colonne « Identifiant_de_l_etablissement », valeur « 820178Y » : "
        "UAI « 820178Y » invalide : il compte 8 caractères (7 chiffres et une lettre), pas 7. "
        "Le zéro initial a sans doute été supprimé par un tableur (Excel)."
    ]
    assert "  ligne invalide : 1" in report.lines()


def test_the_same_uai_twice_is_refused(reference, real, tmp_path):
    header, rows = real
    path = write(tmp_path / "doublon.csv", header, [*rows, rows[1]])

    message = refused(path)

    assert (
        "doublon.csv, ligne 6, colonne « Identifiant_de_l_etablissement », valeur « 0121071Z » "
        ": UAI en double : déjà présent à la ligne 3"
    ) in message


def test_a_missing_required_column_is_refused(reference, real, tmp_path):
    header, rows = real
    drop = header.index("Code_commune")
    path = write(
        tmp_path / "colonnes.csv",
        header[:drop] + header[drop + 1 :],
        [row[:drop] + row[drop + 1 :] for row in rows],
    )

    message = refused(path)

    assert "colonnes.csv" in message
    assert "colonne obligatoire absente : « Code_commune »" in message


def test_an_optional_column_may_be_missing_or_added(reference, real, tmp_path):
    header, rows = real
    drop = header.index("Nombre_d_eleves")
    path = write(
        tmp_path / "variante.csv",
        [*header[:drop], *header[drop + 1 :], "Nouvelle_colonne"],
        [[*row[:drop], *row[drop + 1 :], "x"] for row in rows],
    )
    assert len(import_annuaire(path).created) == 3


def test_a_truncated_last_line_is_refused(reference, real, tmp_path):
    header, rows = real
    path = write(tmp_path / "tronque.csv", header, rows[:2])
    data = path.read_bytes()
    path.write_bytes(data + ";".join(rows[2][:20]).encode())

    message = refused(path)

    assert "tronque.csv, ligne 4, colonne « Web »" in message
    assert "la ligne compte 20 colonnes au lieu de 72" in message


def test_an_unclosed_quote_on_the_last_line_is_refused(reference, real, tmp_path):
    header, rows = real
    path = write(tmp_path / "guillemet.csv", header, rows[:2])
    path.write_bytes(path.read_bytes() + b'0110422Z;"Ecole prim')

    message = refused(path)

    assert "guillemet.csv" in message
    assert "ligne 4" in message
    assert "tronquée" in message


def test_an_empty_file_is_refused(reference, tmp_path):
    path = tmp_path / "vide.csv"
    path.write_bytes(b"")
    assert refused(path) == "Le fichier « vide.csv » est vide."


def test_an_excel_workbook_is_not_a_csv(reference, tmp_path):
    path = tmp_path / "annuaire.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Identifiant_de_l_etablissement", "Nom_etablissement"])
    workbook.save(path)

    message = refused(path)

    assert "« annuaire.xlsx » n'est pas un fichier CSV" in message
    assert "classeur Excel" in message


def test_a_text_that_is_not_the_annuaire_is_refused(reference, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Liste des écoles à appeler\nRodez, Moissac\n", encoding="utf-8")

    message = refused(path)

    assert "notes.txt" in message
    assert "colonnes obligatoires absentes : « Identifiant_de_l_etablissement »" in message


def test_the_command_exits_non_zero_on_refusal(reference, real, tmp_path):
    header, rows = real
    path = write(tmp_path / "ansi.csv", header, rows, encoding="cp1252")

    with pytest.raises(CommandError) as error:
        call_command("import_annuaire", str(path), verbosity=0)

    assert "Import refusé" in str(error.value)
    assert School.objects.count() == 0


def test_the_extract_itself_is_valid(reference):
    assert not import_annuaire(OCCITANIE, dry_run=True).errors


def test_the_2023_header_with_code_postal_in_two_words_is_read(reference, real, tmp_path):
    header, rows = real
    header = ["Code postal" if label == "Code_postal" else label for label in header]
    report = import_annuaire(write(tmp_path / "annuaire-2023.csv", header, rows))
    assert len(report.created) == 3
    assert School.objects.get(uai="0820178Y").commune.postal_code == "82200"
