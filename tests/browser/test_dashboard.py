"""The campaign dashboard as staff use it: from the admin's index to the figures, the lists
they open and the XLSX export."""

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from conventions.enums import ConventionStatus, TitreStatus
from conventions.models import Titre
from tests.browser.conftest import log_in
from tests.factories import CommuneFactory, ConventionFactory, DepartementFactory, enroll
from tests.roles import make_user

pytestmark = pytest.mark.browser

S = ConventionStatus
PARIS = datetime.timezone(datetime.timedelta(hours=2))
# Where each convention of the spring campaign stands, by département.
PLAN = {
    "031": [S.BROUILLON] * 3
    + [S.EMISE] * 2
    + [S.ENVOYEE] * 3
    + [S.SIGNEE_COLLECTIVITE] * 5
    + [S.SIGNEE_ACADEMIE] * 2
    + [S.FACTUREE] * 4
    + [S.ANNULEE],
    "081": [S.ENVOYEE, S.SIGNEE_COLLECTIVITE, S.SIGNEE_COLLECTIVITE, S.FACTUREE],
    "034": [S.EMISE, S.SIGNEE_COLLECTIVITE, S.SIGNEE_ACADEMIE, S.FACTUREE, S.FACTUREE],
}
SIGNED = {S.SIGNEE_COLLECTIVITE, S.SIGNEE_ACADEMIE, S.FACTUREE}


def spring_campaign():
    """2026-2027 beside the demo's Céret draft: 31 conventions signed over ten weeks."""
    rank = 0
    for code, statuses in PLAN.items():
        departement = DepartementFactory(code=code)
        for status in statuses:
            rank += 1
            schools = 1 + rank % 4
            issued = status != S.BROUILLON
            dates = {}
            if status in SIGNED:
                signed = datetime.datetime(2026, 4, 6, 10, tzinfo=PARIS) + datetime.timedelta(
                    days=(rank * 5) % 70
                )
                dates["signed_by_collectivite_at"] = signed
                if status != S.SIGNEE_COLLECTIVITE:
                    dates["signed_by_academie_at"] = signed + datetime.timedelta(days=6)
            convention = ConventionFactory(
                commune=CommuneFactory(departement=departement),
                school_year__label="2026-2027",
                status=status,
                issued_rate=Decimal("41.00") if issued else None,
                issued_school_count=schools if issued else None,
                issued_amount=Decimal("41.00") * schools if issued else None,
                **dates,
            )
            enroll(convention, schools)
            if status == S.FACTUREE:
                paid = rank % 2 == 0
                Titre.objects.create(
                    convention=convention,
                    academie=convention.academie,
                    status=TitreStatus.PAYE if paid else TitreStatus.EMIS,
                    amount=convention.issued_amount,
                    amount_paid=convention.issued_amount if paid else None,
                    school_count=schools,
                    rate=Decimal("41.00"),
                    exercice=2026,
                    sequence=rank,
                    number=f"TP-2026-{convention.academie.code}-{rank:06d}",
                    debtor_name=convention.collectivite.name,
                )


def row(page, table_heading, name):
    table = page.get_by_role("table", name=table_heading, exact=True)
    return table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=name, exact=True)
    )


def cell(page, table_heading, row_name, column):
    """The cell of a row under the column headed `column`."""
    table = page.get_by_role("table", name=table_heading, exact=True)
    headers = table.locator("thead th").all_text_contents()
    index = [h.strip() for h in headers].index(column)
    return row(page, table_heading, row_name).locator("th, td").nth(index)


def paginator(page, plural):
    return page.get_by_role("navigation", name=f"Pagination des {plural}")


def test_staff_follow_the_campaign_on_the_dashboard(page, live_server, live_seed_data, screenshot):
    spring_campaign()
    log_in(page, live_server, make_user("gestion"))
    screenshot("accueil")

    page.get_by_role("link", name="Tableau de bord de la campagne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tableau de bord de la campagne 2026-2027"
    )
    expect(page.get_by_label("Année scolaire")).to_have_value("2026-2027")
    funnel = page.get_by_role("img", name=re.compile("Graphique en barres"))
    expect(funnel).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("signées chaque semaine"))).to_be_visible()
    expect(page.get_by_role("table", name="Chiffres du graphique : conventions par statut"))
    screenshot("campagne-2026-2027")

    # Haute-Garonne: 5 conventions signed by their collectivité, 4 billed.
    signed = cell(
        page, "Conventions par statut", "31 – Haute-Garonne", "signée par la collectivité"
    )
    expect(signed).to_have_text("5")
    # Toulouse's total without the cancelled one: Haute-Garonne's 19 and Tarn's 4.
    expect(
        cell(page, "Conventions par statut", "Académie de Toulouse", "total hors annulées")
    ).to_have_text("23")

    # The year before: the demo's only draft of 2024-2025 (Rodez, Aveyron).
    page.get_by_label("Année scolaire").select_option("2024-2025")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tableau de bord de la campagne 2024-2025"
    )
    expect(cell(page, "Conventions par statut", "12 – Aveyron", "brouillon")).to_have_text("1")
    expect(page.get_by_text("Aucune convention de 2024-2025 n'est encore signée.")).to_be_visible()
    screenshot("campagne-2024-2025")

    page.get_by_label("Année scolaire").select_option("2026-2027")
    page.get_by_role("button", name="Afficher").click()
    cell(
        page, "Conventions par statut", "31 – Haute-Garonne", "signée par la collectivité"
    ).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conventions")
    expect(paginator(page, "conventions")).to_contain_text("5 conventions")
    expect(page.locator("#result_list tbody tr")).to_have_count(5)
    expect(page.locator("#result_list tbody")).not_to_contain_text("brouillon")
    screenshot("liste-signees-haute-garonne")

    page.go_back()
    invoiced = cell(page, "Écoles et montants", "Total", "facturé (titres émis)")
    titres = Titre.objects.filter(status__in=[TitreStatus.EMIS, TitreStatus.PAYE])
    total = sum(t.amount for t in titres)
    expect(invoiced).to_contain_text(f"{total:.2f}".replace(".", ","))
    invoiced.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Titres de perception")
    expect(paginator(page, "titres de perception")).to_contain_text(
        f"{titres.count()} titres de perception"
    )

    page.go_back()
    cell(page, "Écoles et montants", "34 – Hérault", "écoles inscrites").get_by_role(
        "link"
    ).click()
    expect(paginator(page, "écoles inscrites")).to_be_visible()
    shown = int(page.locator("#result_list tbody tr").count())
    page.go_back()
    expect(cell(page, "Écoles et montants", "34 – Hérault", "écoles inscrites")).to_have_text(
        str(shown)
    )

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger les tableaux (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename == "tableau-de-bord-2026-2027.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    money = list(book["Écoles et montants"].values)
    assert money[-1][0] == "Toutes les académies"
    assert Decimal(str(money[-1][6])) == total
    by_status = list(book["Conventions par statut"].values)
    haute_garonne = next(line for line in by_status if line[1] == "31 – Haute-Garonne")
    assert haute_garonne[2:9] == (3, 2, 3, 5, 2, 4, 1)
