import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conventions import billing
from conventions.exports import export_titres
from conventions.models import Convention, Titre
from tests.factories import CollectiviteFactory, ConventionFactory, TariffFactory, enroll
from tests.titres_helpers import sign

pytestmark = pytest.mark.django_db

COLUMNS = [
    "numéro",
    "exercice",
    "date d'émission",
    "académie",
    "débiteur",
    "SIRET",
    "adresse",
    "code service",
    "numéro d'engagement",
    "objet",
    "année scolaire",
    "nombre d'écoles",
    "tarif unitaire",
    "montant TTC",
    "référence de la convention",
    "statut",
    "date de paiement",
    "montant payé",
]
ISSUED_ON = date(2026, 11, 23)


@pytest.fixture
def seed_titres(seed_data):
    """The four seed conventions signed and billed, in the order of the seeds."""
    conventions = Convention.objects.order_by("pk")
    return [billing.issue_titre(sign(convention), on=ISSUED_ON) for convention in conventions]


def read_csv(content):
    """The rows after the note: headers, titres, total lines."""
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM"
    note, *rows = csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";")
    assert len(note) == 1 and note[0].startswith("Titres de perception ENT-École exportés le ")
    return rows


def read_xlsx(content):
    """The workbook, and the rows of its sheet "Titres" after the note."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    note, *rows = book["Titres"].iter_rows(values_only=True)
    assert note[0].startswith("Titres de perception ENT-École exportés le ")
    return book, rows


def test_csv_opens_in_french_excel_with_the_seed_amounts_and_total(seed_titres):
    billing.mark_paid(seed_titres[0], paid_on=date(2027, 1, 15), amount=Decimal("449.50"))

    content, _ = export_titres(Titre.objects.order_by("pk"), "csv")

    header, *rows, summary = read_csv(content)
    assert header == COLUMNS
    by_column = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    assert [row["montant TTC"] for row in by_column] == ["450,00", "135,00", "50,00", "164,00"]
    rodez = by_column[0]
    assert rodez["numéro"] == "TP-2026-16-000001"
    assert rodez["date d'émission"] == "23/11/2026"
    assert rodez["débiteur"] == "COMMUNE DE RODEZ"
    assert rodez["année scolaire"] == "2024-2025"
    assert rodez["nombre d'écoles"] == "10"
    assert rodez["tarif unitaire"] == "45,00"
    assert rodez["référence de la convention"] == "ENT-2024-2025-16-12202-01"
    # 449,50 € of 450 €: partly paid.
    assert (rodez["statut"], rodez["date de paiement"], rodez["montant payé"]) == (
        "partiellement payé",
        "15/01/2027",
        "449,50",
    )
    assert by_column[2]["numéro"] == "TP-2026-11-000001"
    assert by_column[3]["objet"] == "Participation ENT-École 2026-2027 – 4 écoles × 41,00\xa0€"
    assert summary[0] == "Total : 4 titres"
    assert summary[COLUMNS.index("montant TTC")] == "799,00"


def test_xlsx_holds_real_numbers_and_dates_and_a_summary_sheet(seed_titres):
    content, _ = export_titres(Titre.objects.order_by("pk"), "xlsx")

    book, (header, *rows) = read_xlsx(content)
    sheet = book["Titres"]
    assert list(header) == COLUMNS
    amounts = [row[COLUMNS.index("montant TTC")] for row in rows]
    assert amounts == [450, 135, 50, 164]
    assert all(isinstance(amount, int | float) for amount in amounts)
    assert all(isinstance(row[COLUMNS.index("nombre d'écoles")], int) for row in rows)
    issued = rows[0][COLUMNS.index("date d'émission")]
    assert isinstance(issued, datetime)
    assert issued.date() == ISSUED_ON
    assert sheet.cell(row=3, column=3).number_format == "DD/MM/YYYY"
    assert list(book["Synthèse"].iter_rows(values_only=True)) == [("Total : 4 titres", 799)]


def test_a_formula_in_a_name_is_never_a_formula_in_the_files():
    name = '=HYPERLINK("http://x","y")'
    convention = ConventionFactory(
        collectivite=CollectiviteFactory(name=name, chorus_service_code="+33 SERVICE")
    )
    TariffFactory(school_year=convention.school_year, academie=convention.academie)
    enroll(convention, 1)
    billing.issue_titre(sign(convention))

    csv_content, _ = export_titres(Titre.objects.all(), "csv")
    row = read_csv(csv_content)[1]
    assert row[COLUMNS.index("débiteur")] == "'" + name
    assert row[COLUMNS.index("code service")] == "'+33 SERVICE"

    xlsx_content, _ = export_titres(Titre.objects.all(), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_content))["Titres"]
    cell = sheet.cell(row=3, column=COLUMNS.index("débiteur") + 1)
    assert cell.data_type == "s"
    assert cell.value == "'" + name


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_note_says_what_the_apostrophe_before_a_formula_is(seed_data, file_format):
    convention = Convention.objects.get(commune__insee_code="66049")
    billing.issue_titre(sign(convention))

    content, _ = export_titres(Titre.objects.all(), file_format)

    if file_format == "csv":
        first_line = content.decode("utf-8-sig").splitlines()[0]
    else:
        first_line = next(openpyxl.load_workbook(io.BytesIO(content))["Titres"].values)[0]
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert first_line == (
        f"Titres de perception ENT-École exportés le {today}. Un texte qui commencerait par "
        "=, +, -, @ ou une tabulation est précédé d'une apostrophe (') pour que le tableur ne "
        "l'exécute pas comme une formule : cette apostrophe ne fait pas partie de la valeur."
    )


def test_cancelled_titres_are_counted_apart_in_the_summary(seed_titres):
    billing.cancel(seed_titres[1], reason="erreur de débiteur")

    content, _ = export_titres(Titre.objects.order_by("pk"), "csv")

    *_, total, live_total = read_csv(content)
    amount_at = COLUMNS.index("montant TTC")
    assert (total[0], total[amount_at]) == ("Total : 4 titres", "799,00")
    assert (live_total[0], live_total[amount_at]) == ("Total hors 1 annulé", "664,00")


def test_export_command_filters_and_prints_the_summary(seed_titres, tmp_path, capsys):
    output = tmp_path / "titres.csv"

    call_command(
        "export_titres",
        "--year",
        "2026-2027",
        "--academie",
        "11",
        "--status",
        "emis",
        "--format",
        "csv",
        "--output",
        str(output),
    )

    _, *rows, summary = read_csv(output.read_bytes())
    assert [row[0] for row in rows] == ["TP-2026-11-000002"]
    assert summary[COLUMNS.index("montant TTC")] == "164,00"
    out = capsys.readouterr().out
    assert "Total : 1 titre ; montant TTC 164,00\xa0€" in out
    assert f"Fichier écrit : {output}" in out


def test_export_runs_a_constant_number_of_queries(seed_data):
    def queries_for_export():
        with CaptureQueriesContext(connection) as queries:
            export_titres(Titre.objects.all(), "csv")
        return len(queries)

    convention = Convention.objects.get(commune__insee_code="66049")
    billing.issue_titre(sign(convention))
    one = queries_for_export()
    for _ in range(5):
        other = ConventionFactory()
        TariffFactory(school_year=other.school_year, academie=other.academie)
        enroll(other, 1)
        billing.issue_titre(sign(other))
    assert queries_for_export() == one


def test_admin_export_respects_the_current_filters(seed_titres, admin_client):
    url = reverse("admin:conventions_titre_export") + "?academie__id__exact="
    url += str(seed_titres[0].academie_id)

    response = admin_client.post(url, {"format": "0", "resource": "0"})

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.csv"')
    _, *rows, summary = read_csv(response.content)
    assert [row[0] for row in rows] == ["TP-2026-16-000002", "TP-2026-16-000001"]
    assert summary[COLUMNS.index("montant TTC")] == "585,00"
