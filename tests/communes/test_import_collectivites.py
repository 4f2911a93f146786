import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communes.collectivites_import import import_collectivites
from communes.models import Collectivite
from tests.factories import CommuneFactory

# Real SIRETs (Rodez, and the one the demo uses for the CC Région Lézignanaise).
SIRETS = {1: "21120202300019", 2: "20003586300014"}


def valid_siret(n):
    return SIRETS[n]


HEADER = [
    "SIRET", "nature", "nom", "adresse", "code postal", "ville", "communes", "représentant",
    "qualité", "e-mails",
]  # fmt: skip


@pytest.fixture
def communes(db):
    return [
        CommuneFactory(insee_code="12202", name="Rodez"),
        CommuneFactory(insee_code="11260", name="Mouthoumet"),
        CommuneFactory(insee_code="11203", name="Lézignan-Corbières"),
    ]


def rows():
    return [
        [valid_siret(1), "commune", "COMMUNE DE RODEZ", "Place Eugène Raynaldy", "12000",
         "RODEZ", "12202", "Christian TEYSSÈDRE", "MAIRE", "mairie@rodez.example"],
        [valid_siret(2), "communauté de communes", "CC RÉGION LÉZIGNANAISE", "1 rue Roger Lagarde",
         "11200", "LÉZIGNAN-CORBIÈRES", "11260|11203", "Jacques PUIG", "Président",
         "cc@lezignan.example, compta@lezignan.example"],
    ]  # fmt: skip


def write_csv(path, header, data, separator=";", encoding="utf-8-sig"):
    text = "\n".join(separator.join(row) for row in [header, *data]) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def refused(path, **kwargs):
    report = import_collectivites(path, **kwargs)
    assert report.refused
    assert Collectivite.objects.count() == 0
    return report.fatal


def test_a_csv_creates_the_collectivites_and_their_communes(communes, tmp_path):
    report = import_collectivites(write_csv(tmp_path / "liste.csv", HEADER, rows()))

    assert not report.refused
    assert report.created == ["COMMUNE DE RODEZ", "CC RÉGION LÉZIGNANAISE"]
    cc = Collectivite.objects.get(siret=valid_siret(2))
    assert cc.kind == "cc"
    assert sorted(cc.communes.values_list("insee_code", flat=True)) == ["11203", "11260"]
    assert cc.email_list() == ["cc@lezignan.example", "compta@lezignan.example"]
    assert cc.full_address() == "1 rue Roger Lagarde, 11200 LÉZIGNAN-CORBIÈRES"


def test_communes_may_be_separated_by_commas_in_a_comma_csv(communes, tmp_path):
    data = rows()
    data[1][6] = '"11260,11203"'
    data[1][9] = "cc@lezignan.example"
    path = write_csv(tmp_path / "virgules.csv", HEADER, data, separator=",")

    import_collectivites(path)

    cc = Collectivite.objects.get(siret=valid_siret(2))
    assert cc.communes.count() == 2


def test_an_xlsx_with_numeric_cells_is_read(communes, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    for row in rows():
        row[0], row[4], row[6] = int(row[0]), int(row[4]), row[6]
        workbook.active.append(row)
    workbook.save(tmp_path / "liste.xlsx")

    report = import_collectivites(tmp_path / "liste.xlsx")

    assert len(report.created) == 2
    assert Collectivite.objects.get(siret=valid_siret(1)).postal_code == "12000"


def test_a_second_import_writes_nothing_and_a_change_is_an_update(communes, tmp_path):
    path = write_csv(tmp_path / "liste.csv", HEADER, rows())
    import_collectivites(path)

    with CaptureQueriesContext(connection) as queries:
        report = import_collectivites(path)
    assert report.unchanged == 2
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]

    data = rows()
    data[0][7] = "Nouveau MAIRE"
    report = import_collectivites(write_csv(tmp_path / "liste2.csv", HEADER, data))
    assert report.updated == ["COMMUNE DE RODEZ"]
    assert Collectivite.objects.get(siret=valid_siret(1)).representative_name == "Nouveau MAIRE"


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        (0, "2,11202E+13", "notation scientifique"),
        (0, valid_siret(1)[:-1] + "0", "clé de contrôle (Luhn)"),
        (4, "1200", "5 chiffres attendus"),
        (6, "12202|99999", "commune inconnue : 99999"),
        (1, "département", "nature « département » inconnue"),
        (9, "pas-une-adresse", "Adresse e-mail invalide"),
    ],
)
def test_a_bad_value_refuses_the_whole_file(communes, tmp_path, column, value, expected):
    data = rows()
    data[1][column] = value

    message = refused(write_csv(tmp_path / "liste.csv", HEADER, data))

    assert f"liste.csv, ligne 3, colonne « {HEADER[column]} », valeur « {value} »" in message
    assert expected in message


def test_skip_invalid_writes_the_valid_rows_and_lists_the_others(communes, tmp_path):
    data = rows()
    data[1][6] = "99999"

    report = import_collectivites(
        write_csv(tmp_path / "liste.csv", HEADER, data), skip_invalid=True
    )

    assert report.created == ["COMMUNE DE RODEZ"]
    assert list(Collectivite.objects.values_list("name", flat=True)) == ["COMMUNE DE RODEZ"]
    assert len(report.errors) == 1
    assert "ligne 3, colonne « communes », valeur « 99999 »" in report.errors[0]


def test_the_same_siret_twice_is_refused(communes, tmp_path):
    data = rows()
    data.append(list(data[0]))

    message = refused(write_csv(tmp_path / "liste.csv", HEADER, data))

    assert f"liste.csv, ligne 4, colonne « SIRET », valeur « {valid_siret(1)} »" in message
    assert "SIRET en double" in message


def test_a_missing_column_is_refused(communes, tmp_path):
    message = refused(write_csv(tmp_path / "liste.csv", HEADER[:-3], [row[:-3] for row in rows()]))
    assert "colonnes obligatoires absentes : « représentant », « qualité »." in message


def test_windows_1252_an_empty_file_and_a_pdf_are_refused(communes, tmp_path):
    message = refused(write_csv(tmp_path / "ansi.csv", HEADER, rows(), encoding="cp1252"))
    assert "« ansi.csv » n'est pas encodé en UTF-8 : ligne 1, octet 0xE9" in message

    (tmp_path / "vide.csv").write_bytes(b"")
    assert refused(tmp_path / "vide.csv") == "Le fichier « vide.csv » est vide."

    (tmp_path / "liste.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3")
    assert "n'est pas un fichier CSV ni XLSX" in refused(tmp_path / "liste.pdf")


def test_a_truncated_last_line_is_refused(communes, tmp_path):
    path = write_csv(tmp_path / "liste.csv", HEADER, rows())
    path.write_bytes(path.read_bytes() + b"21660049400019;commune;COMMUNE DE CER")

    assert "ligne tronquée" in refused(path)


def test_the_command_exits_non_zero_on_refusal(communes, tmp_path):
    data = rows()
    data[0][0] = "2,11202E+13"
    path = write_csv(tmp_path / "liste.csv", HEADER, data)

    with pytest.raises(CommandError, match="Import refusé"):
        call_command("import_collectivites", str(path))
    call_command("import_collectivites", str(path), "--skip-invalid")
    assert Collectivite.objects.count() == 1


def test_the_admin_previews_then_imports(communes, admin_client, tmp_path):
    from django.urls import reverse

    path = write_csv(tmp_path / "liste.csv", HEADER, rows())
    with path.open("rb") as file:
        response = admin_client.post(
            reverse("admin:communes_collectivite_import"),
            {"import_file": file, "format": "0", "resource": "0"},
        )
    content = response.content.decode()
    assert "Collectivités créées : 2" in content
    assert "CC RÉGION LÉZIGNANAISE" in content
    assert Collectivite.objects.count() == 0

    confirm = response.context["confirm_form"]
    response = admin_client.post(
        reverse("admin:communes_collectivite_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
        follow=True,
    )
    assert "2 collectivités créées" in response.content.decode()
    assert Collectivite.objects.count() == 2
