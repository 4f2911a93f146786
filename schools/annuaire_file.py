"""Reading and validating a file of the ministry's "Annuaire de l'éducation".

The rows are streamed (the file is read, never loaded), checked against what the database
already knows (`Reference`) and turned into `SchoolRow`s or `RowError`s; `AnnuaireReport` says
in French what an import read, wrote and refused. `schools.annuaire` does the writing.


First-degree nature codes, as the dataset documentation lists them ("Les codes nature suivants
correspondent au premier degré"):

    101 école maternelle                      151 école de niveau élémentaire
    102 école maternelle annexe d'IUFM        152 école élémentaire annexe d'IUFM
    103 école maternelle d'application        153 école élémentaire d'application
    111 école maternelle spécialisée          160 école de plein air
                                              161 école autonome de perfectionnement
                                              162 école de niveau élémentaire spécialisée
                                              169 école régionale du premier degré
                                              170 école sans effectifs permanents

The 10x codes are maternelles; the others are primaires when `Ecole_maternelle` is 1 (they have
nursery classes) and élémentaires otherwise.
"""

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError

from communes.french import counted, missing_columns, pluralize
from communes.import_files import (
    NUL_REASON,
    CappedList,
    ImportFileError,
    check_file_size,
    check_header,
    check_row_count,
    decoded_lines,
    nul_cells,
    nul_position,
    visible,
)
from communes.models import Academie, Commune, Departement
from schools.enums import SchoolKind, SchoolStatus, Sector
from schools.validators import validate_uai

MATERNELLE_NATURES = frozenset({"101", "102", "103", "111"})
ELEMENTAIRE_NATURES = frozenset({"151", "152", "153", "160", "161", "162", "169", "170"})
SCHOOL_TYPE = "Ecole"

SECTORS = {"public": Sector.PUBLIC, "privé": Sector.PRIVE, "prive": Sector.PRIVE}
STATUSES = {
    "OUVERT": SchoolStatus.OUVERT,
    # A school announced for next year is one a commune may already enrol.
    "A OUVRIR": SchoolStatus.OUVERT,
    "A FERMER": SchoolStatus.A_FERMER,
}

# Column labels, normalised (lowercase, spaces as underscores): the 2023 header says
# "Code postal" where later ones say "Code_postal".
REQUIRED_COLUMNS = {
    "uai": "Identifiant_de_l_etablissement",
    "name": "Nom_etablissement",
    "type": "Type_etablissement",
    "sector": "Statut_public_prive",
    "postal_code": "Code_postal",
    "insee_code": "Code_commune",
    "commune_name": "Nom_commune",
    "departement": "Code_departement",
    "academie": "Code_academie",
    "maternelle": "Ecole_maternelle",
    "etat": "etat",
    "nature": "code_nature",
}
OPTIONAL_COLUMNS = {
    "siret": "SIREN_SIRET",
    "departement_name": "Libelle_departement",
    "address_1": "Adresse_1",
    "address_2": "Adresse_2",
}

SKIP_OTHER_ACADEMIE = "autre académie"
SKIP_NOT_SCHOOL = "pas une école du premier degré"

BATCH_SIZE = 2000
EXCEL_NUMBER = re.compile(r"^\d+([.,]\d+)?[eE][+-]?\d+$")
DIGITS = re.compile(r"^\d+$")
DEPARTEMENT_CODE = re.compile(r"^(\d{3}|02[AB])$")
INSEE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
POSTAL_CODE = re.compile(r"^\d{5}$")
# School.printed_name is staff's, never written by an import.
SCHOOL_FIELDS = ["name", "kind", "sector", "status", "commune", "address"]
FIELD_LABELS = {
    "name": "nom",
    "kind": "type",
    "sector": "secteur",
    "status": "état",
    "commune": "commune",
    "address": "adresse",
}


class AnnuaireFileError(ImportFileError):
    """The file as a whole cannot be read: nothing is imported."""


@dataclass
class RowError:
    line: int
    column: str
    value: str
    reason: str

    def message(self, file_name):
        return (
            f"{file_name}, ligne {self.line}, colonne « {self.column} », "
            f"valeur « {self.value} » : {self.reason}"
        )


@dataclass
class SchoolRow:
    line: int
    uai: str
    name: str
    kind: str
    sector: str
    status: str
    insee_code: str
    commune_name: str
    postal_code: str
    departement: str
    departement_name: str
    academie: str
    address: str = ""


@dataclass
class AnnuaireReport:
    file_name: str
    dry_run: bool = False
    complete: bool = False
    fatal: str = ""
    rows: int = 0
    errors: CappedList = field(default_factory=CappedList)
    skipped: Counter = field(default_factory=Counter)
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)  # (uai, name, [changed fields])
    unchanged: int = 0
    closed: list = field(default_factory=list)
    communes_created: list = field(default_factory=list)
    departements_created: list = field(default_factory=list)
    closure_skipped: str = ""
    affected_conventions: list = field(default_factory=list)
    academies: list = field(default_factory=list)
    moved_ids: list = field(default_factory=list)
    closed_ids: list = field(default_factory=list)

    @property
    def refused(self):
        return bool(self.fatal)

    @property
    def written(self):
        return not self.refused and not self.dry_run

    def error_messages(self):
        if self.fatal:
            return [self.fatal]
        return self.errors.lines(lambda error: error.message(self.file_name))

    def summary(self):
        return (
            f"Import du fichier « {self.file_name} » terminé : "
            f"{counted(len(self.created), 'école')} créée{pluralize(len(self.created))}, "
            f"{counted(len(self.updated), 'mise à jour', 'mises à jour')}, "
            f"{counted(self.unchanged, 'inchangée')}, {counted(len(self.closed), 'fermée')}, "
            f"{counted(len(self.errors), 'ligne invalide ignorée', 'lignes invalides ignorées')}."
        )

    def lines(self):
        """The report as French lines, for the command line and the admin."""
        if self.fatal:
            return [f"Import refusé : {message}" for message in self.error_messages()]
        out = []
        if self.dry_run:
            out.append("Simulation : rien n'a été enregistré.")
        out.append(f"{self.rows} lignes lues dans {self.file_name}.")
        out.append(f"Écoles créées : {len(self.created)}")
        out.append(f"Écoles mises à jour : {len(self.updated)}")
        out.extend(
            f"  {line}"
            for line in CappedList(self.updated).lines(
                lambda item: (
                    f"{item[0]} {item[1]} : " + ", ".join(FIELD_LABELS[name_] for name_ in item[2])
                ),
                noun="écoles",
            )
        )
        out.append(f"Écoles inchangées : {self.unchanged}")
        out.append(f"Écoles fermées (absentes d'un import complet) : {len(self.closed)}")
        closed = CappedList(self.closed).lines(lambda item: f"{item[0]} {item[1]}", "écoles")
        out.extend(f"  {line}" for line in closed)
        if self.closure_skipped:
            out.append(self.closure_skipped)
        if self.communes_created:
            out.append(f"Communes créées : {len(self.communes_created)}")
        if self.departements_created:
            out.append(f"Départements créés : {', '.join(self.departements_created)}")
        skipped = sum(self.skipped.values()) + len(self.errors)
        out.append(f"Lignes ignorées : {skipped}")
        for reason, count in sorted(self.skipped.items()):
            out.append(f"  {reason} : {count}")
        if self.errors:
            out.append(f"  ligne invalide : {len(self.errors)}")
            out.extend(f"    {message}" for message in self.error_messages())
        if self.affected_conventions:
            out.append(
                "Conventions d'années scolaires en cours dont une école a fermé "
                "ou changé de commune :"
            )
            affected = CappedList(self.affected_conventions).lines(noun="conventions")
            out.extend(f"  {line}" for line in affected)
        return out


def normalise_label(label):
    return label.strip().lstrip("\ufeff").strip().lower().replace(" ", "_")


def sniff_binary(head, file_name):
    if not head.strip():
        raise AnnuaireFileError(f"Le fichier « {file_name} » est vide.")
    if head.startswith(b"PK\x03\x04"):
        raise AnnuaireFileError(
            f"Le fichier « {file_name} » n'est pas un fichier CSV : c'est une archive ZIP ou un "
            "classeur Excel (.xlsx). Exportez-le en « CSV UTF-8 (délimité par des "
            "points-virgules) »."
        )
    if head.startswith(b"%PDF"):
        raise AnnuaireFileError(
            f"Le fichier « {file_name} » n'est pas un fichier CSV : c'est un PDF."
        )
    if b"\x00" in head:
        raise AnnuaireFileError(
            f"Le fichier « {file_name} » n'est pas un fichier CSV : il contient des données "
            f"binaires ({nul_position(head)})."
        )


class AnnuaireReader:
    """Streams the rows of one file; `rows()` may be called once per pass."""

    def __init__(self, path, file_name=None):
        self.path = Path(path)
        self.file_name = file_name or self.path.name
        self.size = self.path.stat().st_size

    def rows(self, progress=None):
        check_file_size(self.path, self.file_name)
        with self.path.open("rb") as binary:
            sniff_binary(binary.read(4096), self.file_name)
            binary.seek(0)
            reader = csv.reader(
                decoded_lines(binary, self.file_name, progress), delimiter=";", strict=True
            )
            try:
                header = next(reader, None)
                if header is None:
                    raise AnnuaireFileError(f"Le fichier « {self.file_name} » est vide.")
                check_header(header, self.file_name)
                columns = self.map_columns(header)
                width = len(header)
                rows = 0
                for values in reader:
                    if not any(value.strip() for value in values):
                        continue
                    rows += 1
                    check_row_count(rows, self.file_name)
                    yield reader.line_num, values, columns, width, header
            except csv.Error as error:
                raise AnnuaireFileError(
                    f"Le fichier « {self.file_name} » n'est pas un CSV lisible à la ligne "
                    f"{reader.line_num} ({error}) : la dernière ligne est peut-être tronquée ou "
                    "un guillemet n'est pas refermé."
                ) from None

    def map_columns(self, header):
        positions = {normalise_label(label): index for index, label in enumerate(header)}
        if len(header) == 1 and ("," in header[0] or "\t" in header[0]):
            separator = "," if "," in header[0] else "tabulation"
            raise AnnuaireFileError(
                f"Le fichier « {self.file_name} », ligne 1 : les colonnes sont séparées par "
                f"« {separator} » ; l'annuaire de l'éducation les sépare par « ; ». "
                "Téléchargez à nouveau l'export officiel (format CSV, séparateur « ; »)."
            )
        missing = [
            label for label in REQUIRED_COLUMNS.values() if normalise_label(label) not in positions
        ]
        if missing:
            raise AnnuaireFileError(
                f"Le fichier « {self.file_name} », ligne 1 (en-tête) : "
                f"{missing_columns(missing)} : {', '.join(f'« {label} »' for label in missing)}. "
                "Est-ce bien un export de l'annuaire de l'éducation ?"
            )
        columns = {
            key: positions[normalise_label(label)] for key, label in REQUIRED_COLUMNS.items()
        }
        for key, label in OPTIONAL_COLUMNS.items():
            columns[key] = positions.get(normalise_label(label))
        return columns


class Reference:
    """What the database already knows: académies, départements, communes."""

    def __init__(self):
        self.academies = set(Academie.objects.values_list("code", flat=True))
        self.departements = dict(Departement.objects.values_list("code", "academie__code"))
        self.departement_ids = dict(Departement.objects.values_list("code", "id"))
        self.commune_ids = dict(Commune.objects.values_list("insee_code", "id"))


def parse_row(line, values, columns, width, header, reference):
    """A SchoolRow, a skip reason (str) or a list of RowError."""

    def get(key):
        index = columns.get(key)
        if index is None or index >= len(values):
            return ""
        return values[index].strip()

    if len(values) != width:
        column = header[len(values)] if len(values) < width else f"colonne n° {width + 1}"
        return [
            RowError(
                line,
                column.lstrip("\ufeff"),
                visible(values[-1]) if values else "",
                f"la ligne compte {len(values)} colonnes au lieu de {width} "
                "(ligne tronquée ou mal découpée)",
            )
        ]
    # Every cell, read or not, before any skip: PostgreSQL refuses a NUL and SQLite would
    # store it.
    if nul := nul_cells(values, header):
        return [
            RowError(line, column.lstrip("\ufeff"), visible(value), NUL_REASON)
            for column, value in nul
        ]
    if get("type") != SCHOOL_TYPE:
        return SKIP_NOT_SCHOOL
    nature = get("nature")
    if nature not in MATERNELLE_NATURES and nature not in ELEMENTAIRE_NATURES:
        return SKIP_NOT_SCHOOL
    if get("academie") not in reference.academies:
        return SKIP_OTHER_ACADEMIE

    errors = []

    def error(key, value, reason):
        label = REQUIRED_COLUMNS.get(key) or OPTIONAL_COLUMNS[key]
        errors.append(RowError(line, label, value, reason))

    uai = get("uai")
    try:
        validate_uai(uai)
    except ValidationError as invalid:
        reason = invalid.messages[0]
        if len(uai) == 7 and DIGITS.match(uai[:6]):
            reason += " Le zéro initial a sans doute été supprimé par un tableur (Excel)."
        error("uai", uai, reason)
    name = get("name")
    if not name:
        error("name", name, "le nom de l'école est vide")
    elif len(name) > 200:
        error("name", name[:40], "le nom dépasse 200 caractères")
    sector = SECTORS.get(get("sector").lower())
    if sector is None:
        error("sector", get("sector"), "secteur attendu « Public » ou « Privé »")
    status = STATUSES.get(get("etat").upper())
    if status is None:
        error("etat", get("etat"), "état attendu « OUVERT », « A OUVRIR » ou « A FERMER »")
    departement = get("departement")
    if not DEPARTEMENT_CODE.match(departement):
        reason = "code de département attendu sur 3 caractères (« 082 »)"
        if DIGITS.match(departement) and len(departement) < 3:
            reason += " ; les zéros initiaux ont sans doute été supprimés par un tableur (Excel)"
        error("departement", departement, reason)
    elif reference.departements.get(departement, get("academie")) != get("academie"):
        error(
            "departement",
            departement,
            f"ce département relève d'une autre académie que « {get('academie')} »",
        )
    insee_code = get("insee_code")
    if not INSEE_CODE.match(insee_code):
        error("insee_code", insee_code, "code INSEE de commune attendu sur 5 caractères")
    if not get("commune_name"):
        error("commune_name", "", "le nom de la commune est vide")
    postal_code = get("postal_code")
    if not POSTAL_CODE.match(postal_code):
        error("postal_code", postal_code, "code postal attendu sur 5 chiffres")
    siret = get("siret")
    if siret and not DIGITS.match(siret):
        reason = "SIREN ou SIRET attendu en chiffres"
        if EXCEL_NUMBER.match(siret):
            reason += (
                " ; la notation scientifique montre que le fichier a été réenregistré par "
                "un tableur (Excel) : téléchargez à nouveau l'export officiel"
            )
        error("siret", siret, reason)
    if errors:
        return errors
    if nature in MATERNELLE_NATURES:
        kind = SchoolKind.MATERNELLE
    elif get("maternelle") == "1":
        kind = SchoolKind.PRIMAIRE
    else:
        kind = SchoolKind.ELEMENTAIRE
    return SchoolRow(
        line=line,
        uai=uai,
        name=name,
        kind=kind,
        sector=sector,
        status=status,
        insee_code=insee_code,
        commune_name=get("commune_name"),
        postal_code=postal_code,
        departement=departement,
        departement_name=get("departement_name"),
        academie=get("academie"),
        # Adresse_2 often repeats Adresse_1 ("LE BOURG;LE BOURG"): each line once.
        address="\n".join(dict.fromkeys(filter(None, [get("address_1"), get("address_2")]))),
    )


def school_rows(reader, reference, report, progress=None, collect=True):
    """Every valid SchoolRow; on the first pass (`collect`) counts skips and errors."""
    first_lines = {}
    for line, values, columns, width, header in reader.rows(progress):
        parsed = parse_row(line, values, columns, width, header, reference)
        if collect:
            report.rows += 1
        if isinstance(parsed, str):
            if collect:
                report.skipped[parsed] += 1
            continue
        if isinstance(parsed, list):
            if collect:
                report.errors.extend(parsed)
            continue
        first = first_lines.setdefault(parsed.uai, line)
        if first != line:
            if collect:
                report.errors.append(
                    RowError(
                        line,
                        REQUIRED_COLUMNS["uai"],
                        parsed.uai,
                        f"UAI en double : déjà présent à la ligne {first}",
                    )
                )
            continue
        yield parsed
