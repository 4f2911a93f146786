"""What a hostile or huge annuaire file cannot do: NUL bytes, size, rows, error lists."""

import re

import pytest
from django.core.management import CommandError, call_command

from schools.annuaire import import_annuaire
from schools.models import School
from tests.schools.annuaire_rows import read_rows, set_value, write


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)


def refused(path, **kwargs):
    report = import_annuaire(path, **kwargs)
    assert report.refused
    assert School.objects.count() == 0
    return report.fatal


def test_a_nul_byte_after_the_first_4_kb_is_refused_with_line_and_column(reference, tmp_path):
    header, rows = read_rows()
    index = next(i for i, row in enumerate(rows) if row[0] == "0820178Y")
    rows[index] = set_value(header, rows[index], "Nom_etablissement", "Ecole\x00Chabrié")
    path = write(tmp_path / "nul.csv", header, rows)
    assert path.read_bytes().index(b"\x00") > 4096

    message = refused(path)

    assert f"nul.csv, ligne {index + 2}, colonne « Nom_etablissement »" in message
    assert "octet nul" in message
    assert "\x00" not in message


def test_a_nul_byte_in_a_column_the_import_does_not_read_is_refused(reference, tmp_path):
    header, rows = read_rows()
    rows[30] = set_value(header, rows[30], "Adresse_1", "1 rue\x00")

    message = refused(write(tmp_path / "nul.csv", header, rows))

    assert "nul.csv, ligne 32, colonne « Adresse_1 »" in message


def test_a_nul_byte_is_never_stored_even_with_skip_invalid(reference, tmp_path):
    header, rows = read_rows()
    rows[30] = set_value(header, rows[30], "Nom_etablissement", "Ecole\x00")

    report = import_annuaire(write(tmp_path / "nul.csv", header, rows), skip_invalid=True)

    assert not report.refused
    assert School.objects.exists()
    # Checked in Python: SQLite's LIKE stops at a NUL and would match every name.
    assert not [name for name in School.objects.values_list("name", flat=True) if "\x00" in name]
    assert "ligne 32, colonne « Nom_etablissement »" in "\n".join(report.lines())


def test_a_file_over_the_size_limit_is_refused_before_reading(reference, tmp_path, settings):
    header, rows = read_rows()
    path = write(tmp_path / "gros.csv", header, rows)
    settings.IMPORT_MAX_FILE_SIZE = 100_000

    message = refused(path)

    assert "« gros.csv »" in message
    assert "limite de 0,1 Mo" in message
    assert "IMPORT_MAX_FILE_SIZE" in message


def test_more_rows_than_the_limit_is_refused(reference, tmp_path, settings):
    header, rows = read_rows()
    settings.IMPORT_MAX_ROWS = 100

    message = refused(write(tmp_path / "long.csv", header, rows))

    assert "« long.csv » compte plus de 100 lignes" in message
    assert "IMPORT_MAX_ROWS" in message


def test_a_line_without_end_is_refused(reference, tmp_path, settings):
    header, rows = read_rows()
    path = write(tmp_path / "ligne.csv", header, rows[:3])
    settings.IMPORT_MAX_LINE_LENGTH = 10_000
    path.write_bytes(path.read_bytes() + b"x" * 20_000)

    message = refused(path)

    assert "« ligne.csv », ligne 5" in message
    assert "10\u202f000 octets" in message


def bad_rows(count):
    header, rows = read_rows()
    school = next(row for row in rows if row[0] == "0820178Y")
    return header, [
        set_value(header, school, "Identifiant_de_l_etablissement", f"{n:07d}")
        for n in range(count)
    ]


def test_only_the_first_100_errors_are_listed_with_the_total(reference, tmp_path):
    header, rows = bad_rows(150)

    message = refused(write(tmp_path / "abime.csv", header, rows))

    listed = re.findall(r"^abime\.csv, ligne \d+, colonne", message, re.MULTILINE)
    assert len(listed) == 100
    assert message.startswith("150 lignes invalides, rien n'a été enregistré")
    assert message.rstrip().endswith("… et 50 autres erreurs (150 au total)")


def test_skip_invalid_lists_the_first_100_errors_too(reference, tmp_path):
    header, rows = bad_rows(250)

    report = import_annuaire(write(tmp_path / "abime.csv", header, rows), skip_invalid=True)

    lines = report.lines()
    assert len([line for line in lines if line.lstrip().startswith("abime.csv, ligne")]) == 100
    assert "    … et 150 autres erreurs (250 au total)" in lines
    assert "  ligne invalide : 250" in lines


def test_the_command_lists_the_first_100_errors(reference, tmp_path):
    header, rows = bad_rows(120)

    with pytest.raises(CommandError) as error:
        call_command("import_annuaire", str(write(tmp_path / "abime.csv", header, rows)))

    assert str(error.value).count("abime.csv, ligne") == 100
    assert "… et 20 autres erreurs (120 au total)" in str(error.value)
