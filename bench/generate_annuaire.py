"""Writes Annuaire-like CSV files of any size from the real shared rows, for bench/annuaire.py.

    python bench/generate_annuaire.py            # bench/out/annuaire-occitanie.csv (6,200 rows)
                                                 # bench/out/annuaire-national.csv (65,000 rows)

Every row is a real row of ../shared/data with a new, valid UAI (its check letter computed).
The Occitanie file copies the Occitanie extract within its 13 départements, spreading the
copies over more communes; the national file adds rows of other départements (académie codes
from 50 up, which the application does not know unless the bench creates them). About three
rows in four are écoles, as in the ministry's export.
"""

import csv
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parent
sys.path.insert(0, str(BASE.parent))

from schools.validators import uai_check_letter  # noqa: E402

# ../shared beside the checkout; a git worktree under /work/wt/ sits one level deeper.
SHARED = next(
    (
        root / "shared"
        for root in (BASE.parent.parent, BASE.parent.parent.parent)
        if (root / "shared").is_dir()
    ),
    BASE.parent.parent / "shared",
)
OCCITANIE = SHARED / "data" / "annuaire-occitanie-extrait-2024-11.csv"
VAL_DE_MARNE = SHARED / "data" / "annuaire-val-de-marne-2026-05.csv"
OUT = BASE / "out"
OCCITANIE_DEPARTEMENTS = {"009", "011", "012", "030", "031", "032", "034", "046", "048", "065",
                          "066", "081", "082"}  # fmt: skip
# Mainland départements outside Occitanie (Corsica's 2A/2B left out for simple codes).
OTHER_DEPARTEMENTS = [
    f"{n:03d}" for n in range(1, 96) if f"{n:03d}" not in OCCITANIE_DEPARTEMENTS and n != 20
]


def other_academie(departement):
    # Synthetic académie codes, one per group of about six départements.
    return str(50 + int(departement) // 6)


def read(path):
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file, delimiter=";")
        header = next(reader)
        return header, list(reader)


class Generator:
    def __init__(self):
        self.header, rows = read(OCCITANIE)
        _, creteil = read(VAL_DE_MARNE)
        column = {label.lstrip("\ufeff"): i for i, label in enumerate(self.header)}
        self.col = column
        # The 2026 file lacks Nombre_d_eleves: give its rows the 72-column shape.
        eleves = column["Nombre_d_eleves"]
        creteil = [[*row[:eleves], "", *row[eleves:]] for row in creteil]
        is_school = [row for row in rows if row[column["Type_etablissement"]] == "Ecole"]
        self.schools = is_school
        self.others = [row for row in rows if row[column["Type_etablissement"]] != "Ecole"]
        self.creteil = creteil
        self.serials = {}

    def new_uai(self, departement):
        serial = self.serials.get(departement, 0)
        self.serials[departement] = serial + 1
        if serial >= 9000:
            raise ValueError(f"too many rows for département {departement}")
        digits = f"{departement}{1000 + serial:04d}"
        return digits + uai_check_letter(digits)

    def row(self, index, template, departement=None, academie=None):
        c = self.col
        row = list(template)
        departement = departement or row[c["Code_departement"]]
        spread = index // 97  # copies land in other (synthetic) communes of the département
        commune = f"{int(row[c['Code_commune']][2:]) + 37 * spread:05d}"[-3:]
        row[c["Identifiant_de_l_etablissement"]] = self.new_uai(departement)
        row[c["Code_departement"]] = departement
        row[c["Code_commune"]] = departement[1:] + commune
        row[c["Code_postal"]] = departement[1:] + row[c["Code_postal"]][2:]
        if academie:
            row[c["Code_academie"]] = academie
        return row

    def template(self, index, pool_schools, pool_others):
        # Three rows in four are écoles.
        if index % 4 != 3:
            return pool_schools[index % len(pool_schools)]
        return pool_others[index % len(pool_others)]

    def write(self, path, occitanie_rows, other_rows):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file, delimiter=";", lineterminator="\n")
            writer.writerow([label.lstrip("\ufeff") for label in self.header])
            for index in range(occitanie_rows):
                writer.writerow(self.row(index, self.template(index, self.schools, self.others)))
            for index in range(other_rows):
                departement = OTHER_DEPARTEMENTS[index % len(OTHER_DEPARTEMENTS)]
                template = self.template(index, self.creteil + self.schools, self.others)
                writer.writerow(
                    self.row(index, template, departement, other_academie(departement))
                )
        return path


def generate(force=False):
    OUT.mkdir(exist_ok=True)
    occitanie = OUT / "annuaire-occitanie.csv"
    national = OUT / "annuaire-national.csv"
    if force or not occitanie.exists():
        Generator().write(occitanie, 6200, 0)
    if force or not national.exists():
        Generator().write(national, 6200, 58800)
    return occitanie, national


if __name__ == "__main__":
    for path in generate(force=True):
        print(f"{path} : {path.stat().st_size / 1e6:.1f} Mo")
