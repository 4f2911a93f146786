"""Collectivités from the list staff hold (CSV or XLSX), through a django-import-export resource
keyed by SIRET. One code path for the command (`import_collectivites`) and the admin.

Columns (first row, labels as below, case and accents as written; other columns are ignored):

    SIRET            14 chiffres (clé)                 obligatoire
    nature           commune, communauté de communes, communauté d'agglomération,
                     syndicat intercommunal, autre (ou cc, ca, syndicat)   (défaut : commune)
    nom              « COMMUNE DE RODEZ »              obligatoire
    adresse                                            obligatoire
    code postal      5 chiffres                        obligatoire
    ville                                              obligatoire
    communes         codes INSEE des communes couvertes, séparés par « | » ou « , »
                     (communes déjà connues)           obligatoire
    représentant     « Michel COSTE »                  obligatoire
    qualité          « MAIRE »                         obligatoire
    e-mails          une ou plusieurs adresses, séparées par « , » ou « ; »
"""

import csv
import itertools
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from import_export import fields, resources, widgets

from communes import journal
from communes.enums import CollectiviteKind
from communes.french import counted, missing_columns, pluralize
from communes.import_files import (
    NUL_REASON,
    CappedList,
    ImportFileError,
    check_file_size,
    check_header,
    check_row_count,
    decoded_lines,
    megabytes,
    nul_cells,
    nul_position,
    visible,
)
from communes.models import Collectivite, Commune
from communes.validators import validate_siret

COLUMNS = {
    "siret": "SIRET",
    "kind": "nature",
    "name": "nom",
    "address": "adresse",
    "postal_code": "code postal",
    "city": "ville",
    "communes": "communes",
    "representative_name": "représentant",
    "representative_title": "qualité",
    "emails": "e-mails",
}
REQUIRED = [label for attribute, label in COLUMNS.items() if attribute not in {"kind", "emails"}]
# Rows handed to django-import-export at a time: its per-row results are dropped after each.
CHUNK_SIZE = 500
EXCEL_NUMBER = re.compile(r"^\d+([.,]\d+)?[eE][+-]?\d+$")
KINDS = {label.lower(): value for value, label in CollectiviteKind.choices} | {
    value: value for value in CollectiviteKind.values
}


class CollectivitesFileError(ImportFileError):
    pass


class SiretWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float):
            raise ValueError(
                "le SIRET est une cellule numérique à virgule : le tableur l'a arrondi ; "
                "mettez la colonne au format texte"
            )
        value = "" if value is None else str(value).strip().replace(" ", "")
        if EXCEL_NUMBER.match(value):
            raise ValueError(
                "le SIRET est écrit en notation scientifique : le tableur l'a abîmé ; "
                "mettez la colonne au format texte et saisissez les 14 chiffres"
            )
        return value


class CodeWidget(widgets.CharWidget):
    """Postal codes lose their leading zero in a spreadsheet: say so rather than store it."""

    def clean(self, value, row=None, **kwargs):
        value = "" if value is None else str(value).strip()
        if not re.fullmatch(r"\d{5}", value):
            raise ValueError(
                f"code postal « {value} » invalide : 5 chiffres attendus (un tableur a peut-être "
                "supprimé le zéro initial)"
            )
        return value


class KindWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        value = (value or "").strip()
        if not value:
            return CollectiviteKind.COMMUNE
        kind = KINDS.get(value.lower())
        if kind is None:
            raise ValueError(
                f"nature « {value} » inconnue : "
                + ", ".join(label for _, label in CollectiviteKind.choices)
            )
        return kind


class CommunesWidget(widgets.ManyToManyWidget):
    def __init__(self):
        super().__init__(Commune, separator="|", field="insee_code")

    def codes(self, value):
        return [code.strip() for code in re.split(r"[|,]", str(value or "")) if code.strip()]

    def clean(self, value, row=None, **kwargs):
        codes = self.codes(value)
        communes = list(Commune.objects.filter(insee_code__in=codes))
        unknown = sorted(set(codes) - {commune.insee_code for commune in communes})
        if not codes:
            raise ValueError("aucune commune couverte : indiquez au moins un code INSEE")
        if unknown:
            raise ValueError(
                f"commune{pluralize(len(unknown))} inconnue{pluralize(len(unknown))} : "
                f"{', '.join(unknown)} (importez d'abord l'annuaire "
                "ou créez la commune)"
            )
        return communes


class CollectiviteResource(resources.ModelResource):
    siret = fields.Field("siret", COLUMNS["siret"], widget=SiretWidget())
    kind = fields.Field("kind", COLUMNS["kind"], widget=KindWidget())
    name = fields.Field("name", COLUMNS["name"])
    address = fields.Field("address", COLUMNS["address"])
    postal_code = fields.Field("postal_code", COLUMNS["postal_code"], widget=CodeWidget())
    city = fields.Field("city", COLUMNS["city"])
    communes = fields.Field("communes", COLUMNS["communes"], widget=CommunesWidget())
    representative_name = fields.Field("representative_name", COLUMNS["representative_name"])
    representative_title = fields.Field("representative_title", COLUMNS["representative_title"])
    emails = fields.Field("emails", COLUMNS["emails"])

    class Meta:
        model = Collectivite
        import_id_fields = ["siret"]
        fields = list(COLUMNS)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    @classmethod
    def get_display_name(cls):
        return "Collectivités (CSV ou XLSX)"

    def import_instance(self, instance, row, **kwargs):
        # ManyToMany columns are only read after save by django-import-export: check the
        # communes here so that an unknown code is a validation error of its row.
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors.update(error.error_dict)
        try:
            self.fields["communes"].widget.clean(row.get(COLUMNS["communes"]))
        except ValueError as error:
            errors["communes"] = [ValidationError(str(error))]
        if errors:
            raise ValidationError(errors)


@dataclass
class CollectivitesReport:
    file_name: str
    dry_run: bool = False
    fatal: str = ""
    rows: int = 0
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: int = 0
    errors: CappedList = field(default_factory=CappedList)

    @property
    def refused(self):
        return bool(self.fatal)

    def summary(self):
        return (
            f"Import du fichier « {self.file_name} » terminé : "
            f"{counted(len(self.created), 'collectivité')} créée{pluralize(len(self.created))}, "
            f"{counted(len(self.updated), 'mise à jour', 'mises à jour')}, "
            f"{counted(self.unchanged, 'inchangée')}, "
            f"{counted(len(self.errors), 'ligne invalide ignorée', 'lignes invalides ignorées')}."
        )

    def refuse(self):
        self.fatal = (
            f"{counted(len(self.errors), 'erreur')}, rien n'a été enregistré :\n"
            + "\n".join(self.errors.lines())
        )

    def lines(self):
        if self.fatal:
            return [f"Import refusé : {self.fatal}"]
        out = ["Simulation : rien n'a été enregistré."] if self.dry_run else []
        out += [
            f"{self.rows} lignes lues dans {self.file_name}.",
            f"Collectivités créées : {len(self.created)}",
            f"Collectivités mises à jour : {len(self.updated)}",
            *(f"  {name}" for name in CappedList(self.updated).lines(noun="collectivités")),
            f"Collectivités inchangées : {self.unchanged}",
        ]
        if self.errors:
            out.append(f"Lignes invalides ignorées : {len(self.errors)}")
            out += [f"  {message}" for message in self.errors.lines()]
        return out


class CollectivitesFile:
    """Streams the rows of a CSV or XLSX file within the import limits; `rows()` may be
    called once per pass and sets `headers`."""

    def __init__(self, path, file_name):
        self.path = Path(path)
        self.file_name = file_name
        self.headers = []

    def error(self, message):
        return CollectivitesFileError(f"Le fichier « {self.file_name} » {message}")

    def rows(self):
        """(line, values) of each non-empty data row, values as wide as the header."""
        check_file_size(self.path, self.file_name)
        with self.path.open("rb") as binary:
            head = binary.read(4096)
        if not head.strip():
            raise self.error("est vide.")
        if head.startswith(b"PK\x03\x04"):
            table = self.xlsx_rows()
        elif head.startswith(b"%PDF"):
            raise self.error("n'est pas un fichier CSV ni XLSX.")
        elif b"\x00" in head:
            raise self.error(f"n'est pas un fichier CSV ni XLSX : {nul_position(head)}.")
        else:
            table = self.csv_rows()
        header = next(table, None)
        if header is None:
            raise self.error("est vide.")
        check_header(header[1], self.file_name)
        self.headers = [str(label or "").strip() for label in header[1]]
        missing = [label for label in REQUIRED if label not in self.headers]
        if missing:
            raise CollectivitesFileError(
                f"Le fichier « {self.file_name} », ligne 1 (en-tête) : "
                f"{missing_columns(missing)} : {', '.join(f'« {label} »' for label in missing)}."
            )
        width = len(self.headers)
        count = 0
        for line, values in table:
            if not any(str(value).strip() for value in values if value is not None):
                continue
            count += 1
            check_row_count(count, self.file_name)
            yield line, [*values[:width], *[""] * (width - len(values))]

    def csv_rows(self):
        with self.path.open("rb") as binary:
            lines = decoded_lines(binary, self.file_name)
            first = next(lines, "")
            delimiter = ";" if first.count(";") >= first.count(",") else ","
            reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
            width = None
            try:
                for values in reader:
                    if width is None:
                        width = len(values)
                    elif values and len(values) != width:
                        raise CollectivitesFileError(
                            f"Le fichier « {self.file_name} », ligne {reader.line_num} : "
                            f"{counted(len(values), 'colonne')} au lieu de {width} "
                            "(ligne tronquée ?)."
                        )
                    yield reader.line_num, values
            except csv.Error as error:
                raise CollectivitesFileError(
                    f"Le fichier « {self.file_name} » n'est pas un CSV lisible à la ligne "
                    f"{reader.line_num} ({error}) : une ligne est peut-être tronquée."
                ) from None

    def xlsx_rows(self):
        unreadable = self.error("n'est ni un CSV ni un classeur XLSX lisible.")
        # The sizes the archive declares bound what zipfile will inflate (it stops at the
        # declared size), so a zip bomb is refused here before a byte is inflated.
        try:
            with zipfile.ZipFile(self.path) as archive:
                declared = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError):
            raise unreadable from None
        limit = settings.IMPORT_MAX_XLSX_UNCOMPRESSED_SIZE
        if declared > limit:
            raise self.error(
                f"pèse {megabytes(declared)} Mo une fois décompressé, au-delà de la limite de "
                f"{megabytes(limit)} Mo (réglage IMPORT_MAX_XLSX_UNCOMPRESSED_SIZE) : rien n'a "
                "été lu. Enregistrez-le en CSV ou découpez-le."
            )
        line = 0
        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception:
            raise unreadable from None
        try:
            sheet = workbook.active
            if not hasattr(sheet, "iter_rows"):
                raise unreadable
            # The sheet's own dimension, when it states one, refuses it before reading; then
            # it is forgotten, since openpyxl would silently stop at a dimension that lies,
            # and rows() counts the rows as they are read.
            check_row_count((sheet.max_row or 1) - 1, self.file_name)
            sheet.reset_dimensions()
            for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, list(values)
        except ImportFileError:
            raise
        except Exception:
            raise self.error(
                f"n'est pas un classeur XLSX lisible (feuille illisible après la ligne {line})."
            ) from None
        finally:
            workbook.close()


def row_message(file_name, line, attribute, value, message):
    column = COLUMNS.get(attribute)
    where = f"colonne « {column} », valeur « {visible(value, 80)} »" if column else "ligne entière"
    return f"{file_name}, ligne {line}, {where} : {message}"


def check_rows(source, report):
    """First pass: the file's shape, NUL bytes and SIRETs (the key django-import-export reads
    before validating a row); returns the lines that may be imported."""
    file_name = source.file_name
    sirets = Counter()
    lines = []
    siret_column = None
    for line, values in source.rows():
        report.rows += 1
        if siret_column is None:
            siret_column = source.headers.index(COLUMNS["siret"])
        if nul := nul_cells(values, source.headers):
            report.errors.extend(
                f"{file_name}, ligne {line}, colonne « {column} », valeur « {visible(value)} » : "
                f"{NUL_REASON}"
                for column, value in nul
            )
            continue
        raw = values[siret_column]
        try:
            siret = SiretWidget().clean(raw)
            validate_siret(siret)
        except (ValueError, ValidationError) as error:
            message = error.messages[0] if isinstance(error, ValidationError) else str(error)
            report.errors.append(row_message(file_name, line, "siret", raw, message))
            continue
        sirets[siret] += 1
        if sirets[siret] > 1:
            report.errors.append(
                row_message(file_name, line, "siret", raw, "SIRET en double dans le fichier")
            )
            continue
        lines.append(line)
    return lines


def write_rows(source, lines, report, *, dry_run, skip_invalid):
    """Second pass: the rows through django-import-export, a chunk at a time, in one
    transaction rolled back unless every row was written as asked."""
    file_name = source.file_name
    wanted = set(lines)
    failed = False
    with transaction.atomic():
        rows = (row for row in source.rows() if row[0] in wanted)
        for chunk in itertools.batched(rows, CHUNK_SIZE):
            numbers = [line for line, _ in chunk]
            dataset = tablib.Dataset(*[values for _, values in chunk], headers=source.headers)
            # Each row in its own savepoint; a chunk with an exception is rolled back whole.
            result = CollectiviteResource().import_data(
                dataset,
                use_transactions=True,
                raise_errors=False,
                rollback_on_validation_errors=False,
            )
            for invalid in result.invalid_rows:
                line = numbers[invalid.number - 1]
                row = dict(zip(source.headers, chunk[invalid.number - 1][1], strict=True))
                for attribute, messages in invalid.error_dict.items():
                    value = row.get(COLUMNS.get(attribute), "")
                    report.errors.extend(
                        row_message(file_name, line, attribute, value, message)
                        for message in messages
                    )
            for number, errors in result.row_errors():
                failed = True
                line = numbers[number - 1]
                report.errors.extend(
                    f"{file_name}, ligne {line} : {error.error}" for error in errors
                )
            for row in result.valid_rows():
                if row.import_type == "new":
                    report.created.append(row.object_repr)
                elif row.import_type == "update":
                    report.updated.append(row.object_repr)
                elif row.import_type == "skip":
                    report.unchanged += 1
        if failed or (report.errors and not skip_invalid):
            report.refuse()
            report.created, report.updated, report.unchanged = [], [], 0
            transaction.set_rollback(True)
        elif dry_run:
            transaction.set_rollback(True)
        elif report.created or report.updated:
            journal.record(
                journal.JournalEvent.IMPORT_COLLECTIVITES,
                file=file_name,
                created=len(report.created),
                updated=len(report.updated),
                unchanged=report.unchanged,
            )


def import_collectivites(path, *, file_name=None, dry_run=False, skip_invalid=False):
    file_name = file_name or Path(path).name
    report = CollectivitesReport(file_name=file_name, dry_run=dry_run)
    source = CollectivitesFile(path, file_name)
    try:
        lines = check_rows(source, report)
        if report.errors and not skip_invalid:
            report.refuse()
        elif lines:
            write_rows(source, lines, report, dry_run=dry_run, skip_invalid=skip_invalid)
    except ImportFileError as error:
        report.fatal = str(error)
    return report
