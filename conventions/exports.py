"""The accountants' export of titres de perception: one resource, two file formats.

The resource yields native values (Decimal, date, int); each format renders them for its
reader: French Excel for the CSV, real numbers and dates for the XLSX.
"""

import csv
import io
from datetime import date
from decimal import Decimal

from django.utils import timezone
from import_export import fields, resources, widgets
from import_export.formats.base_formats import Format

from conventions.enums import TitreStatus
from conventions.models import Titre

AMOUNT_COLUMN = "montant TTC"
STATUS_COLUMN = "statut"
CANCELLED_LABEL = TitreStatus.ANNULE.label
# A spreadsheet reads a cell starting with one of these as a formula (or DDE payload).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# First line of both files. The apostrophe that neutralises a formula shows in the
# spreadsheet: the reader is told it is not part of the value.
NOTE = (
    "Titres de perception ENT-École exportés le {date}. Un texte qui commencerait par "
    "=, +, -, @ ou une tabulation est précédé d'une apostrophe (') pour que le tableur ne "
    "l'exécute pas comme une formule : cette apostrophe ne fait pas partie de la valeur."
)

NATIVE_DATE = widgets.DateWidget(coerce_to_string=False)
NATIVE_DECIMAL = widgets.DecimalWidget(coerce_to_string=False)
NATIVE_INTEGER = widgets.IntegerWidget(coerce_to_string=False)


def column(attribute, name, widget=None):
    return fields.Field(attribute=attribute, column_name=name, widget=widget)


COLUMNS = (
    "number",
    "exercice",
    "issue_date",
    "academie",
    "debtor_name",
    "debtor_siret",
    "debtor_address",
    "debtor_service_code",
    "debtor_engagement_number",
    "object",
    "school_year",
    "school_count",
    "rate",
    "amount",
    "reference",
    "status",
    "paid_on",
    "amount_paid",
)


class TitreResource(resources.ModelResource):
    number = column("number", "numéro")
    exercice = column("exercice", "exercice", NATIVE_INTEGER)
    issue_date = column("issue_date", "date d'émission", NATIVE_DATE)
    academie = column("academie_name", "académie")
    debtor_name = column("debtor_name", "débiteur")
    debtor_siret = column("debtor_siret", "SIRET")
    debtor_address = column("debtor_address", "adresse")
    debtor_service_code = column("debtor_service_code", "code service")
    debtor_engagement_number = column("debtor_engagement_number", "numéro d'engagement")
    object = column("object", "objet")
    school_year = column("school_year_label", "année scolaire")
    school_count = column("school_count", "nombre d'écoles", NATIVE_INTEGER)
    rate = column("rate", "tarif unitaire", NATIVE_DECIMAL)
    amount = column("amount", AMOUNT_COLUMN, NATIVE_DECIMAL)
    reference = column("convention_reference", "référence de la convention")
    status = fields.Field(column_name=STATUS_COLUMN)
    paid_on = column("paid_on", "date de paiement", NATIVE_DATE)
    amount_paid = column("amount_paid", "montant payé", NATIVE_DECIMAL)

    class Meta:
        model = Titre
        name = "Titres de perception"
        fields = export_order = COLUMNS
        # Titres are read in chunks: memory stays flat and the query count constant.
        chunk_size = 2000

    def filter_export(self, queryset, **kwargs):
        # One query, rows as dicts: see TitreQuerySet.for_export().
        return queryset.for_export()

    def before_export(self, queryset, **kwargs):
        # import-export looks up the fields, their order and dehydrate methods again for
        # every row: at 10,000 titres that was most of the export time. Resolve them once.
        self.row_plan = [
            (field, getattr(self, f"dehydrate_{self.get_field_name(field)}", None))
            for field in self.get_export_fields(kwargs.get("export_fields"))
        ]

    def export_resource(self, instance, selected_fields=None, **kwargs):
        return [
            dehydrate(instance) if dehydrate else field.export(instance, **kwargs)
            for field, dehydrate in self.row_plan
        ]

    def dehydrate_status(self, row):
        return TitreStatus(row["status"]).label


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def note():
    return NOTE.format(date=timezone.localdate().strftime("%d/%m/%Y"))


def summary(dataset):
    """(number of titres, total TTC, number cancelled, total TTC without cancelled)."""
    amount_at = dataset.headers.index(AMOUNT_COLUMN)
    status_at = dataset.headers.index(STATUS_COLUMN)
    total = live_total = Decimal("0.00")
    cancelled = 0
    for row in dataset:
        amount = row[amount_at] or Decimal("0.00")
        total += amount
        if row[status_at] == CANCELLED_LABEL:
            cancelled += 1
        else:
            live_total += amount
    return dataset.height, total, cancelled, live_total


def summary_lines(dataset):
    count, total, cancelled, live_total = summary(dataset)
    lines = [(f"Total : {count} titre{'s' if count > 1 else ''}", total)]
    if cancelled:
        lines.append((f"Total hors {cancelled} annulé{'s' if cancelled > 1 else ''}", live_total))
    return lines


class TitresCSV(Format):
    """CSV as French Excel opens it: UTF-8 with BOM, `;`, decimal comma, dd/mm/yyyy.

    A note, then the headers, the titres and the total lines.
    """

    def get_title(self):
        return "csv"

    def get_extension(self):
        return "csv"

    def get_content_type(self):
        return "text/csv; charset=utf-8"

    def can_export(self):
        return True

    @staticmethod
    def render(value):
        if value is None:
            return ""
        if isinstance(value, Decimal):
            # No thousands separator: Excel reads "1234,50" as a number, not "1 234,50".
            return f"{value:.2f}".replace(".", ",")
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        if isinstance(value, str):
            return neutralise(value)
        return str(value)

    def export_data(self, dataset, **kwargs):
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow([note()])
        writer.writerow(dataset.headers)
        render = self.render
        writer.writerows([render(value) for value in row] for row in dataset)
        amount_at = dataset.headers.index(AMOUNT_COLUMN)
        for label, total in summary_lines(dataset):
            line = [""] * len(dataset.headers)
            line[0], line[amount_at] = label, render(total)
            writer.writerow(line)
        return out.getvalue().encode("utf-8-sig")


class TitresXLSX(Format):
    """XLSX with real numbers and dates (a note, then the headers), and a sheet "Synthèse"."""

    def get_title(self):
        return "xlsx"

    def get_extension(self):
        return "xlsx"

    def get_content_type(self):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def can_export(self):
        return True

    def export_data(self, dataset, **kwargs):
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Titres")
        sheet.append([note()])
        sheet.append(dataset.headers)

        def cell(value):
            if isinstance(value, Decimal):
                written = WriteOnlyCell(sheet, value)
                written.number_format = "#,##0.00"
                return written
            if isinstance(value, date):
                written = WriteOnlyCell(sheet, value)
                written.number_format = "DD/MM/YYYY"
                return written
            return neutralise(value)

        for row in dataset:
            sheet.append([cell(value) for value in row])

        synthese = book.create_sheet("Synthèse")
        for label, total in summary_lines(dataset):
            amount = WriteOnlyCell(synthese, total)
            amount.number_format = "#,##0.00"
            synthese.append([label, amount])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


EXPORT_FORMATS = {"csv": TitresCSV, "xlsx": TitresXLSX}


def export_titres(queryset, file_format):
    """Bytes of the export of `queryset` in `file_format` ("csv" or "xlsx"), and its dataset."""
    dataset = TitreResource().export(queryset=queryset)
    return EXPORT_FORMATS[file_format]().export_data(dataset), dataset
