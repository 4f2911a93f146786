"""What a hostile or huge collectivités file cannot do: NUL bytes, size, rows, XLSX bombs,
error lists."""

import re
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from stdnum import luhn

from communes.collectivites_import import import_collectivites
from communes.models import Collectivite
from tests.communes.test_import_collectivites import (  # noqa: F401 (communes: a fixture)
    HEADER,
    communes,
    rows,
    write_csv,
)

pytestmark = pytest.mark.usefixtures("communes")


def refused(path, **kwargs):
    report = import_collectivites(path, **kwargs)
    assert report.refused
    assert Collectivite.objects.count() == 0
    return report.fatal


def many_rows(count):
    """`count` valid rows for Rodez, each with its own SIRET."""
    template = rows()[0]
    out = []
    for n in range(count):
        siren = f"2{n:07d}"
        body = siren + luhn.calc_check_digit(siren) + "0001"
        out.append([body + luhn.calc_check_digit(body), *template[1:]])
    return out


def write_xlsx(path, header, data):
    workbook = openpyxl.Workbook()
    workbook.active.append(header)
    for row in data:
        workbook.active.append(row)
    workbook.save(path)
    return path


def rewrite_member(path, member, change):
    """Rewrites one part of a zip, as a hostile tool would."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[member] = change(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def test_a_nul_byte_after_the_first_4_kb_is_refused_with_line_and_column(tmp_path):
    data = many_rows(80)
    data[59][2] = "COMMUNE\x00 DE RODEZ"
    path = write_csv(tmp_path / "nul.csv", HEADER, data)
    assert path.read_bytes().index(b"\x00") > 4096

    message = refused(path)

    assert "nul.csv, ligne 61, colonne « nom »" in message
    assert "octet nul" in message
    assert "\x00" not in message


def test_a_nul_byte_is_never_stored_even_with_skip_invalid(tmp_path):
    data = many_rows(80)
    data[59][7] = "Christian\x00"

    report = import_collectivites(write_csv(tmp_path / "nul.csv", HEADER, data), skip_invalid=True)

    assert Collectivite.objects.count() == 79
    names = Collectivite.objects.values_list("representative_name", flat=True)
    assert not [name for name in names if "\x00" in name]
    assert any("ligne 61, colonne « représentant »" in line for line in report.lines())


def test_a_nul_byte_in_the_header_is_refused(tmp_path):
    header = [*HEADER[:-1], "e-mails\x00"]

    message = refused(write_csv(tmp_path / "nul.csv", header, many_rows(80)))

    # In the first 4 KB, a NUL byte is taken for a binary file, said with its place (in
    # bytes, after the BOM's three).
    assert message == (
        "Le fichier « nul.csv » n'est pas un fichier CSV ni XLSX : octet nul (0x00) ligne 1, "
        "position 86."
    )


def test_an_xlsx_with_a_nul_byte_in_its_sheet_is_refused_in_french(tmp_path):
    path = write_xlsx(tmp_path / "nul.xlsx", HEADER, rows())
    rewrite_member(
        path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"RODEZ<", b"RO\x00DEZ<", 1)
    )

    message = refused(path)

    assert "« nul.xlsx »" in message
    assert "illisible" in message


def test_a_file_over_the_size_limit_is_refused(tmp_path, settings):
    path = write_csv(tmp_path / "gros.csv", HEADER, many_rows(200))
    settings.IMPORT_MAX_FILE_SIZE = 20_000

    message = refused(path)

    assert "« gros.csv »" in message
    assert "limite de 0,02 Mo" in message
    assert "IMPORT_MAX_FILE_SIZE" in message


def test_more_rows_than_the_limit_is_refused(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 50

    message = refused(write_csv(tmp_path / "long.csv", HEADER, many_rows(51)))

    assert "« long.csv » compte plus de 50 lignes" in message


def test_an_xlsx_sheet_declaring_more_rows_than_the_limit_is_refused(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 50

    message = refused(write_xlsx(tmp_path / "long.xlsx", HEADER, many_rows(51)))

    assert "« long.xlsx » compte plus de 50 lignes" in message


def test_an_xlsx_sheet_hiding_its_size_is_counted_as_read(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 50
    path = write_xlsx(tmp_path / "long.xlsx", HEADER, many_rows(51))
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:J2"/>', xml),
    )

    message = refused(path)

    assert "« long.xlsx » compte plus de 50 lignes" in message


def test_an_xlsx_expanding_beyond_the_limit_is_refused_before_reading(tmp_path, settings):
    path = write_xlsx(tmp_path / "bombe.xlsx", HEADER, many_rows(300))
    settings.IMPORT_MAX_XLSX_UNCOMPRESSED_SIZE = 20_000

    message = refused(path)

    assert "« bombe.xlsx »" in message
    assert "décompressé" in message
    assert "IMPORT_MAX_XLSX_UNCOMPRESSED_SIZE" in message


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "bonjour")

    assert "n'est ni un CSV ni un classeur XLSX lisible" in refused(path)


def bad_sirets(count):
    data = many_rows(count)
    for row in data:
        row[0] = row[0][:-1] + str((int(row[0][-1]) + 1) % 10)
    return data


def test_only_the_first_100_errors_are_listed_with_the_total(tmp_path):
    message = refused(write_csv(tmp_path / "abime.csv", HEADER, bad_sirets(150)))

    assert message.startswith("150 erreurs, rien n'a été enregistré")
    assert len(re.findall(r"^abime\.csv, ligne \d+, colonne", message, re.MULTILINE)) == 100
    assert message.rstrip().endswith("… et 50 autres erreurs (150 au total)")


def test_row_errors_found_by_the_resource_are_capped_too(tmp_path):
    data = many_rows(130)
    for row in data:
        row[4] = "1200"

    message = refused(write_csv(tmp_path / "abime.csv", HEADER, data))

    assert message.startswith("130 erreurs, rien n'a été enregistré")
    assert len(re.findall(r"^abime\.csv, ligne \d+, colonne", message, re.MULTILINE)) == 100
    assert "… et 30 autres erreurs (130 au total)" in message


def test_skip_invalid_and_the_command_list_the_first_100_errors(tmp_path):
    data = [*bad_sirets(120), *many_rows(1)]
    path = write_csv(tmp_path / "abime.csv", HEADER, data)

    report = import_collectivites(path, skip_invalid=True)
    assert len(report.created) == 1
    assert "  … et 20 autres erreurs (120 au total)" in report.lines()
    assert "Lignes invalides ignorées : 120" in report.lines()

    Collectivite.objects.all().delete()
    with pytest.raises(CommandError) as error:
        call_command("import_collectivites", str(path))
    assert str(error.value).count("abime.csv, ligne") == 100
    assert "… et 20 autres erreurs (120 au total)" in str(error.value)


def test_a_large_valid_file_is_imported_in_one_go(tmp_path):
    report = import_collectivites(write_csv(tmp_path / "liste.csv", HEADER, many_rows(1200)))

    assert not report.refused
    assert Collectivite.objects.count() == 1200
    assert Collectivite.objects.filter(communes__insee_code="12202").count() == 1200
