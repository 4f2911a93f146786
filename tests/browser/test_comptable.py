"""The accountant's journey: from the login page to titres issued, paid and exported."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conventions import billing
from conventions.models import Convention
from tests.browser.conftest import log_in
from tests.roles import make_user
from tests.titres_helpers import sign

pytestmark = pytest.mark.browser

PREPARE = "Préparer les titres de perception, à vérifier avant émission"
ISSUE = "Émettre les titres de perception (conventions signées)"
NOTHING_PREPARED = (
    "Aucun titre préparé : les conventions sélectionnées ne sont pas signées par les deux "
    "parties, ou ont déjà un titre."
)
NOTHING_ISSUED = (
    "Aucun titre émis : les conventions sélectionnées ne sont pas signées par les deux "
    "parties, ou sont déjà facturées."
)


FORMAT_LABELS = {
    "csv": "CSV pour Excel ou un logiciel comptable (csv)",
    "xlsx": "Excel (xlsx)",
}


def download(page, file_format):
    """Export the titres list in `file_format`, as the export page offers it: its bytes."""
    page.get_by_label("Format du fichier").select_option(label=FORMAT_LABELS[file_format])
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger l'export").click()
    download = download_info.value
    assert download.suggested_filename == f"titres-{timezone.localdate():%Y-%m-%d}.{file_format}"
    return Path(download.path()).read_bytes()


def read_csv(content):
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def open_titres(page):
    page.get_by_role("link", name="Titres de perception").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Titres de perception")


def open_conventions(page):
    # The app section and its model are both "Conventions": the model's row is the list.
    page.locator("th[scope=row]").get_by_role("link", name="Conventions", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conventions")


def run_action(page, rows, action):
    for row in rows:
        page.get_by_role("row").filter(has_text=row).get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option(label=action)
    page.get_by_role("button", name="Exécuter").click()


@pytest.fixture
def issued_titre(live_seed_data):
    # Data, not UI: Céret signed by both parties and billed a month ago.
    ceret = sign(Convention.objects.get(commune__insee_code="66049"))
    return billing.issue_titre(ceret, on=timezone.localdate().replace(day=1))


def test_mark_paid_form_is_prefilled_with_today(page, live_server, issued_titre, screenshot):
    log_in(page, live_server, make_user("comptabilite"))
    open_titres(page)

    run_action(page, [issued_titre.number], "Marquer payés…")

    # Labelled as the admin's own forms are: capitalised.
    paid_on = page.get_by_label("Date de paiement :", exact=True)
    expect(paid_on).to_have_value(timezone.localdate().isoformat())
    screenshot("marquer-payes")
    page.get_by_role("button", name="Enregistrer le paiement").click()

    expect(page.get_by_text("1 titre marqué payé.")).to_be_visible()
    issued_titre.refresh_from_db()
    assert (issued_titre.paid_on, issued_titre.amount_paid) == (
        timezone.localdate(),
        issued_titre.amount,
    )


def column_of(page, row_text, heading):
    # Each heading's label is in .text; a sorted column also shows its sort priority.
    row = page.get_by_role("row").filter(has_text=row_text)
    row.first.wait_for()  # the list, not the page it was reached from
    headings = page.locator("#result_list thead th .text").all_text_contents()
    headings = [text.strip() for text in headings]
    # The first column links to the titre: a row header (th), the others are cells.
    return row.locator("th, td").nth(headings.index(heading))


def assert_shown_without_scrolling_across(page, cell):
    # The list scrolls sideways inside .results (admin CSS); the page must not either.
    box = cell.bounding_box()
    results = page.locator("#changelist .results").bounding_box()
    right = min(results["x"] + results["width"], page.viewport_size["width"])
    assert box["x"] >= results["x"] and box["x"] + box["width"] <= right, cell.text_content()


def test_the_exercice_is_a_year_not_a_number(page, live_server, issued_titre):
    log_in(page, live_server, make_user("comptabilite"))
    open_titres(page)

    year = str(issued_titre.exercice)
    expect(column_of(page, issued_titre.number, "Exercice")).to_have_text(year)

    page.get_by_role("link", name=issued_titre.number).click()
    expect(page.locator(".form-row", has_text="Exercice").locator(".readonly")).to_have_text(year)


@pytest.fixture
def signed_conventions(live_seed_data):
    # Data, not UI: three demo conventions brought to "signée par l'académie" by their own
    # transitions; Mouthoumet stays a draft.
    return {
        insee: sign(Convention.objects.get(commune__insee_code=insee))
        for insee in ("66049", "12202", "31118")
    }


def test_accountant_issues_marks_paid_and_exports_titres(
    page, live_server, signed_conventions, screenshot
):
    year = timezone.localdate().year
    ceret, rodez, castelnau = (
        f"TP-{year}-11-000001",
        f"TP-{year}-16-000001",
        f"TP-{year}-16-000002",
    )
    log_in(page, live_server, make_user("comptabilite"))
    screenshot("accueil")

    # A draft gets no titre, and the accountant is told why.
    open_conventions(page)
    run_action(page, ["Mouthoumet (11260)"], PREPARE)
    expect(page.get_by_text(NOTHING_PREPARED)).to_be_visible()
    run_action(page, ["Mouthoumet (11260)"], ISSUE)
    expect(page.get_by_text(NOTHING_ISSUED)).to_be_visible()

    # Céret and Rodez: prepared from the conventions list, checked, then issued.
    run_action(
        page,
        ["Céret (66049)", "Rodez (12202)"],
        PREPARE,
    )
    expect(page.get_by_text("2 titres à émettre préparés.")).to_be_visible()
    screenshot("titres-prepares")
    open_titres(page)
    screenshot("titres-a-emettre")
    expect(page.get_by_role("row").filter(has_text="à attribuer")).to_have_count(2)
    expect(column_of(page, "COMMUNE DE CERET", "Statut")).to_have_text("à émettre")
    expect(column_of(page, "COMMUNE DE RODEZ", "Montant TTC")).to_have_text("450,00\xa0€")
    run_action(page, ["COMMUNE DE CERET", "COMMUNE DE RODEZ"], "Émettre les titres sélectionnés")
    page.get_by_role("button", name="Oui, je confirme").click()
    expect(page.get_by_text("2 titres émis.")).to_be_visible()
    expect(column_of(page, "COMMUNE DE CERET", "Numéro")).to_have_text(ceret)
    expect(column_of(page, "COMMUNE DE RODEZ", "Numéro")).to_have_text(rodez)
    expect(column_of(page, ceret, "Statut")).to_have_text("émis")
    expect(column_of(page, ceret, "Exercice")).to_have_text(str(year))
    # At 1366 px, what the accountant reads first needs no horizontal scrolling.
    for heading in ("Numéro", "Débiteur", "Montant TTC", "Statut"):
        assert_shown_without_scrolling_across(page, column_of(page, ceret, heading))
    screenshot("titres-emis")

    # Castelnau: issued straight from the conventions list.
    open_conventions(page)
    expect(column_of(page, "Céret (66049)", "Statut")).to_have_text("facturée")
    run_action(
        page,
        ["Castelnau-d'Estrétefonds (31118)"],
        ISSUE,
    )
    page.get_by_role("button", name="Oui, je confirme").click()
    expect(page.get_by_text("1 titre émis.")).to_be_visible()
    open_titres(page)
    expect(column_of(page, castelnau, "Débiteur")).to_have_text(
        "COMMUNE DE CASTELNAU D ESTRETEFONDS"
    )

    # Céret pays: the date offered is today's.
    run_action(page, [ceret], "Marquer payés…")
    expect(page.get_by_label("Date de paiement")).to_have_value(timezone.localdate().isoformat())
    screenshot("marquer-payes")
    page.get_by_role("button", name="Enregistrer le paiement").click()
    expect(page.get_by_text("1 titre marqué payé.")).to_be_visible()
    expect(column_of(page, ceret, "Statut")).to_have_text("payé")
    expect(column_of(page, ceret, "Montant payé")).to_have_text("164,00\xa0€")
    screenshot("titre-paye")

    page.get_by_role("link", name="Exporter").click()
    screenshot("exporter")
    csv_rows = read_csv(download(page, "csv"))
    # The download leaves the export page open: the XLSX is one choice away.
    book = openpyxl.load_workbook(io.BytesIO(download(page, "xlsx")))

    # CSV for French Excel: the note, French headers, decimal commas, the total line.
    note, header, *titres, total = csv_rows
    assert "apostrophe (')" in note[0]
    assert header[:3] == ["numéro", "exercice", "date d'émission"]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in titres}
    assert sorted(by_number) == sorted([ceret, rodez, castelnau])
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert by_number[ceret]["montant TTC"] == "164,00"
    assert (by_number[ceret]["statut"], by_number[ceret]["date de paiement"]) == ("payé", today)
    assert by_number[ceret]["montant payé"] == "164,00"
    assert by_number[rodez]["montant TTC"] == "450,00"
    assert by_number[castelnau]["montant TTC"] == "135,00"
    assert by_number[castelnau]["date d'émission"] == today
    assert (total[0], total[header.index("montant TTC")]) == ("Total : 3 titres", "749,00")

    # XLSX: real numbers and dates under the same headers, the total in "Synthèse".
    note, header, *titres = book["Titres"].iter_rows(values_only=True)
    assert "apostrophe (')" in note[0]
    amounts = {row[0]: row[header.index("montant TTC")] for row in titres}
    assert amounts == {ceret: 164, rodez: 450, castelnau: 135}
    paid = next(row for row in titres if row[0] == ceret)[header.index("date de paiement")]
    assert paid.date() == timezone.localdate()
    assert list(book["Synthèse"].values) == [("Total : 3 titres", 749)]
