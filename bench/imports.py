"""Imports facing hostile or huge files (issue 12, item 4): peak memory and wall time of the
import commands, each in a child process, on PostgreSQL.

    .venv/bin/python bench/imports.py        (make bench)

Writes under bench/out/ (gitignored), in a few seconds: a 200 MB collectivités CSV, an XLSX
zip bomb (a few MB inflating past 1 GB), a 200 MB annuaire CSV, and two files just within the
default limits whose every row is invalid (the most errors an import may meet). Uses its own
database, BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/entconv_bench_imports),
created if missing. Peak memory is the child's ru_maxrss (os.wait4), the whole command included.
"""

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from stdnum import luhn

BASE = Path(__file__).resolve().parent
ROOT = BASE.parent
OUT = BASE / "out"
sys.path.insert(0, str(BASE))

from _common import setup_django  # noqa: E402
from generate_annuaire import OCCITANIE  # noqa: E402

MB = 1_000_000
COLLECTIVITES_HEADER = (
    "SIRET;nature;nom;adresse;code postal;ville;communes;représentant;qualité;e-mails\n"
)


def repeat_to(path, header, block, size):
    """Writes header then `block` (bytes) again and again until the file weighs `size`."""
    with path.open("wb") as file:
        file.write(header)
        written = len(header)
        while written < size:
            file.write(block)
            written += len(block)
    return path


def bad_siret(n):
    # A valid SIRET whose check digit is off by one: every row is invalid, each says so.
    siren = f"2{n:07d}"
    body = siren + luhn.calc_check_digit(siren) + "0001"
    return body + str((int(luhn.calc_check_digit(body)) + 1) % 10)


def collectivites_block(rows, first=0):
    lines = [
        f"{bad_siret(n)};commune;COMMUNE {n};{n} place de la Mairie;31000;TOULOUSE;"
        f"31555;Prénom NOM {n};Maire;mairie{n}@example.fr\n"
        for n in range(first, first + rows)
    ]
    return "".join(lines).encode()


def collectivites_csv(path, size):
    return repeat_to(path, COLLECTIVITES_HEADER.encode(), collectivites_block(10_000), size)


def collectivites_rows_csv(path, rows):
    with path.open("wb") as file:
        file.write(COLLECTIVITES_HEADER.encode())
        for first in range(0, rows, 10_000):
            file.write(collectivites_block(min(10_000, rows - first), first))
    return path


def annuaire_block(bad):
    """The Occitanie extract's rows; with `bad`, each UAI loses its check letter (an invalid
    row, as when a spreadsheet damaged the column)."""
    lines = OCCITANIE.read_bytes().removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    if bad:
        rows = [row[:7] + row[8:] for row in rows]
    return header, b"".join(rows)


def annuaire_csv(path, size):
    header, block = annuaire_block(bad=True)
    return repeat_to(path, header, block, size)


XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Feuille1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def zip_bomb(path, inflated):
    """A valid workbook whose one sheet, with no dimension, repeats an invalid row until it
    inflates to `inflated` bytes."""
    cells = "".join(
        f'<c t="inlineStr"><is><t>{value}</t></is></c>'
        for value in COLLECTIVITES_HEADER.strip().split(";")
    )
    bad = "".join(
        f'<c t="inlineStr"><is><t>{value}</t></is></c>'
        for value in ["2,11202E+13", "commune", "X", "X", "1200", "X", "99999", "X", "X", "x"]
    )
    row = f"<row>{bad}</row>".encode() * 1000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in XLSX_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                + f"<row>{cells}</row>".encode()
            )
            written = 0
            while written < inflated:
                sheet.write(row)
                written += len(row)
            sheet.write(b"</sheetData></worksheet>")
    return path


FILES = [
    ("import_collectivites", "collectivites-200mo.csv", lambda p: collectivites_csv(p, 200 * MB)),
    ("import_collectivites", "collectivites-bombe.xlsx", lambda p: zip_bomb(p, 1_160 * MB)),
    ("import_annuaire", "annuaire-200mo.csv", lambda p: annuaire_csv(p, 200 * MB)),
    (
        "import_collectivites",
        "collectivites-100000-lignes.csv",
        lambda p: collectivites_rows_csv(p, 100_000),
    ),
    ("import_annuaire", "annuaire-49mo.csv", lambda p: annuaire_csv(p, 49 * MB)),
]


def generate(force=False):
    """The files, written when absent (or with --force)."""
    OUT.mkdir(exist_ok=True)
    start = time.perf_counter()
    files = []
    for command, name, write in FILES:
        path = OUT / name
        if force or not path.exists():
            write(path)
        files.append((command, path))
    print(f"Fichiers prêts dans {OUT} en {fr(time.perf_counter() - start, 1)} s")
    return files


def fr(number, decimals=0):
    return f"{number:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def inflated_size(path):
    if path.suffix != ".xlsx":
        return ""
    with zipfile.ZipFile(path) as archive:
        size = sum(info.file_size for info in archive.infolist())
    return f" ({fr(size / MB)} Mo décompressé)"


def measure(*arguments):
    """Runs `manage.py *arguments` in a child process: wall and CPU seconds, peak RSS (MB),
    exit code, output size and its first line."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "manage.py", *arguments, "--verbosity", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    first = output.decode("utf-8", "replace").strip().splitlines()[0:1]
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024, child.returncode, len(output), "".join(first)


def main():
    setup_django("entconv_bench_imports")
    from django.core.management import call_command

    call_command("loaddata", "reference", verbosity=0)
    files = generate(force="--force" in sys.argv)
    print()
    print(
        f"{'fichier':<34} {'taille':>9} {'durée':>8} {'CPU':>8} {'mémoire crête':>14} "
        f"{'sortie':>10}  code  début du message"
    )
    # Django's start alone, for comparison (the machine may be loaded: CPU time says more
    # than wall time then).
    runs = [("(démarrage seul : manage.py check)", None, measure("check"))]
    runs += [(path.name, path, measure(command, str(path))) for command, path in files]
    for name, path, (seconds, cpu, peak, code, output, first) in runs:
        size = f"{fr(path.stat().st_size / MB, 1)} Mo" if path else ""
        print(
            f"{name:<34} {size:>9} {fr(seconds, 1):>6} s {fr(cpu, 1):>6} s "
            f"{fr(peak):>11} Mo {fr(output / 1000, 1):>7} ko  {code:>4}  {first[:100]}"
            f"{inflated_size(path) if path else ''}"
        )


if __name__ == "__main__":
    main()
