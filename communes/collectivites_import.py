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

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV, XLSX

from communes.enums import CollectiviteKind
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
EXCEL_NUMBER = re.compile(r"^\d+([.,]\d+)?[eE][+-]?\d+$")
KINDS = {label.lower(): value for value, label in CollectiviteKind.choices} | {
    value: value for value in CollectiviteKind.values
}


class CollectivitesFileError(Exception):
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
                f"commune(s) inconnue(s) : {', '.join(unknown)} (importez d'abord l'annuaire "
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
    errors: list = field(default_factory=list)

    @property
    def refused(self):
        return bool(self.fatal)

    def summary(self):
        return (
            f"Import de {self.file_name} terminé : {len(self.created)} collectivité(s) créée(s), "
            f"{len(self.updated)} mise(s) à jour, {self.unchanged} inchangée(s), "
            f"{len(self.errors)} ligne(s) invalide(s) ignorée(s)."
        )

    def lines(self):
        if self.fatal:
            return [f"Import refusé : {self.fatal}"]
        out = ["Simulation : rien n'a été enregistré."] if self.dry_run else []
        out += [
            f"{self.rows} lignes lues dans {self.file_name}.",
            f"Collectivités créées : {len(self.created)}",
            f"Collectivités mises à jour : {len(self.updated)}",
            *(f"  {name}" for name in self.updated),
            f"Collectivités inchangées : {self.unchanged}",
        ]
        if self.errors:
            out.append(f"Lignes invalides ignorées : {len(self.errors)}")
            out += [f"  {message}" for message in self.errors]
        return out


def load_dataset(path, file_name):
    data = Path(path).read_bytes()
    if not data.strip():
        raise CollectivitesFileError(f"Le fichier « {file_name} » est vide.")
    if data.startswith(b"PK\x03\x04"):
        try:
            dataset = XLSX().create_dataset(data)
        except Exception:
            raise CollectivitesFileError(
                f"Le fichier « {file_name} » n'est ni un CSV ni un classeur XLSX lisible."
            ) from None
    else:
        if b"\x00" in data[:4096] or data.startswith(b"%PDF"):
            raise CollectivitesFileError(
                f"Le fichier « {file_name} » n'est pas un fichier CSV ni XLSX."
            )
        for number, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                raise CollectivitesFileError(
                    f"Le fichier « {file_name} » n'est pas encodé en UTF-8 : ligne {number}, "
                    f"octet 0x{line[error.start]:02X} en position {error.start + 1}. Il a sans "
                    "doute été enregistré en Windows-1252 ; enregistrez-le en « CSV UTF-8 »."
                ) from None
        text = data.decode("utf-8")
        text = text.removeprefix(codecs.BOM_UTF8.decode())
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        lines = csv.reader(io.StringIO(text), delimiter=delimiter)
        width = len(next(lines, []))
        for values in lines:
            if values and len(values) != width:
                raise CollectivitesFileError(
                    f"Le fichier « {file_name} », ligne {lines.line_num} : {len(values)} "
                    f"colonne(s) au lieu de {width} (ligne tronquée ?)."
                )
        try:
            dataset = CSV().create_dataset(text, delimiter=delimiter)
        except Exception:
            raise CollectivitesFileError(
                f"Le fichier « {file_name} » n'est pas un CSV lisible : une ligne a un nombre "
                "de colonnes différent de l'en-tête (ligne tronquée ?)."
            ) from None
    headers = [str(header or "").strip() for header in dataset.headers or []]
    missing = [label for label in REQUIRED if label not in headers]
    if missing:
        raise CollectivitesFileError(
            f"Le fichier « {file_name} », ligne 1 (en-tête) : colonne(s) obligatoire(s) "
            f"absente(s) : {', '.join(f'« {label} »' for label in missing)}."
        )
    dataset.headers = headers
    return dataset


def row_message(file_name, line, attribute, value, message):
    column = COLUMNS.get(attribute)
    where = f"colonne « {column} », valeur « {value} »" if column else "ligne entière"
    return f"{file_name}, ligne {line}, {where} : {message}"


def import_collectivites(path, *, file_name=None, dry_run=False, skip_invalid=False):
    file_name = file_name or Path(path).name
    report = CollectivitesReport(file_name=file_name, dry_run=dry_run)
    try:
        dataset = load_dataset(path, file_name)
    except CollectivitesFileError as error:
        report.fatal = str(error)
        return report
    report.rows = dataset.height
    # SIRET is the key: django-import-export reads it before validating the row, so a bad or
    # repeated one is caught here, with its line, and its row kept out of the import.
    sirets = Counter()
    lines = []
    for number, row in enumerate(dataset.dict, start=2):
        raw = row.get(COLUMNS["siret"])
        try:
            siret = SiretWidget().clean(raw)
            validate_siret(siret)
        except (ValueError, ValidationError) as error:
            message = error.messages[0] if isinstance(error, ValidationError) else str(error)
            report.errors.append(row_message(file_name, number, "siret", raw, message))
            continue
        sirets[siret] += 1
        if sirets[siret] > 1:
            report.errors.append(
                row_message(file_name, number, "siret", raw, "SIRET en double dans le fichier")
            )
            continue
        lines.append(number)
    if report.errors and not skip_invalid:
        report.fatal = f"{len(report.errors)} erreur(s), rien n'a été enregistré :\n" + "\n".join(
            report.errors
        )
        return report
    if not lines:
        return report
    # tablib's subset() takes an empty list for "every row", hence the guard above.
    dataset = dataset.subset(rows=[number - 2 for number in lines])

    result = CollectiviteResource().import_data(
        dataset,
        dry_run=dry_run or not skip_invalid,
        raise_errors=False,
        rollback_on_validation_errors=not skip_invalid,
    )
    for invalid in result.invalid_rows:
        line = lines[invalid.number - 1]
        for attribute, messages in invalid.error_dict.items():
            value = dataset.dict[invalid.number - 1].get(COLUMNS.get(attribute), "")
            for message in messages:
                report.errors.append(row_message(file_name, line, attribute, value, message))
    for number, errors in result.row_errors():
        for error in errors:
            report.errors.append(f"{file_name}, ligne {lines[number - 1]} : {error.error}")
    if report.errors and not skip_invalid:
        report.fatal = f"{len(report.errors)} erreur(s), rien n'a été enregistré :\n" + "\n".join(
            report.errors
        )
        return report
    if not skip_invalid and not dry_run:
        # The first pass validated every row in a rolled-back transaction: now write.
        result = CollectiviteResource().import_data(dataset, raise_errors=True)
    for row in result.valid_rows():
        if row.import_type == "new":
            report.created.append(row.object_repr)
        elif row.import_type == "update":
            report.updated.append(row.object_repr)
        elif row.import_type == "skip":
            report.unchanged += 1
    return report
