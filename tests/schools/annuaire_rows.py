"""Real rows of the shared Annuaire extracts, to build good and bad files in tmp_path."""

from tests.seeds import DATA

OCCITANIE = DATA / "annuaire-occitanie-extrait-2024-11.csv"
VAL_DE_MARNE = DATA / "annuaire-val-de-marne-2026-05.csv"


def read_rows(path=OCCITANIE):
    """Header and rows as lists of fields (the extracts have no `;` inside quotes on the
    school rows, so a plain split is enough to edit them)."""
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    return lines[0].split(";"), [line.split(";") for line in lines[1:]]


def row_of(rows, uai):
    return next(row for row in rows if row[0] == uai)


def write(path, header, rows, *, separator=";", encoding="utf-8-sig"):
    lines = [separator.join(header), *(separator.join(row) for row in rows)]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def set_value(header, row, column, value):
    row = list(row)
    row[header.index(column)] = value
    return row
