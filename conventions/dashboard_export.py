"""The campaign dashboard's tables as an XLSX workbook: amounts stay numbers (formatted in
euros) so that the rectorat's spreadsheets can add them up."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from conventions.dashboard import STATUSES

MONEY_FORMAT = '#,##0.00\\ "€"'
PERCENT_FORMAT = "0.0 %"
BOLD = Font(bold=True)


def territory_rows(campaign):
    """(académie, département, figures, is_total) in the page's order, the region last."""
    for academy in campaign.academies:
        name = f"Académie de {academy.total.academie.name}"
        yield name, "Total de l'académie", academy.total, True
        for figures in academy.departements:
            yield name, str(figures.departement), figures, False
    yield "Toutes les académies", "Total", campaign.total, True


def add_sheet(book, title, headers, rows, formats, widths):
    sheet = book.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = BOLD
    for values, bold in rows:
        sheet.append(values)
        for column, number_format in formats.items():
            sheet.cell(row=sheet.max_row, column=column).number_format = number_format
        if bold:
            for cell in sheet[sheet.max_row]:
                cell.font = BOLD
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    sheet.freeze_panes = "C2" if len(headers) > 2 else "A2"
    return sheet


def workbook_bytes(campaign):
    book = Workbook()
    book.remove(book.active)
    year = campaign.school_year.label
    statuses = [status.label for status in STATUSES]
    add_sheet(
        book,
        "Conventions par statut",
        ["Académie", "Département", *statuses, "total (hors annulées)"],
        (
            (
                [academie, departement, *(f.by_status[s] for s in STATUSES), f.live_count],
                bold,
            )
            for academie, departement, f, bold in territory_rows(campaign)
        ),
        {},
        [26, 30, *[14] * len(STATUSES), 14],
    )
    add_sheet(
        book,
        "Écoles et montants",
        [
            "Académie",
            "Département",
            "écoles inscrites",
            "écoles publiques ouvertes",
            "couverture",
            "montant attendu (conventions émises)",
            "montant facturé (titres émis)",
            "montant payé",
            "reste dû",
        ],
        (
            (
                [
                    academie,
                    departement,
                    f.enrolled,
                    f.open_public,
                    f.coverage,
                    f.expected,
                    f.invoiced,
                    f.paid,
                    f.due,
                ],
                bold,
            )
            for academie, departement, f, bold in territory_rows(campaign)
        ),
        {5: PERCENT_FORMAT, 6: MONEY_FORMAT, 7: MONEY_FORMAT, 8: MONEY_FORMAT, 9: MONEY_FORMAT},
        [26, 30, 12, 14, 12, 20, 20, 16, 16],
    )
    add_sheet(
        book,
        "Signatures par semaine",
        ["semaine du", "signées par la collectivité", "signées par l'académie"],
        (
            ([monday, by_collectivite, by_academie], False)
            for monday, by_collectivite, by_academie in campaign.weeks
        ),
        {1: "DD/MM/YYYY"},
        [14, 26, 24],
    )
    book.properties.title = f"Tableau de bord de la campagne {year}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
