"""What every file import reads within bounds: the file's size, its rows, the length of a line,
NUL bytes, and how many errors a report lists. A hostile or mistaken file must cost neither
memory nor time, nor store what PostgreSQL refuses (a NUL byte).

The limits are settings (IMPORT_MAX_FILE_SIZE, IMPORT_MAX_ROWS, IMPORT_MAX_LINE_LENGTH,
IMPORT_MAX_XLSX_UNCOMPRESSED_SIZE), read at each import so that tests may change them.
"""

import codecs

from django.conf import settings

# A report lists the first errors and counts the others: 375,192 messages help no one.
LISTED_ERRORS = 100


class ImportFileError(Exception):
    """The file as a whole cannot be read: nothing is imported."""


def count(number):
    # French digit grouping (narrow no-break space), as Django's "fr" formats write it.
    return f"{number:,}".replace(",", "\u202f")


def megabytes(size):
    value = f"{size / 1_000_000:.2f}".rstrip("0").rstrip(".")
    return value.replace(".", ",")


def visible(value, length=40):
    """A cell as a message may quote it: NUL bytes shown, never stored in a session or log."""
    return str(value).replace("\x00", "␀")[:length]


def check_file_size(path, file_name):
    size = path.stat().st_size
    limit = settings.IMPORT_MAX_FILE_SIZE
    if size > limit:
        raise ImportFileError(
            f"Le fichier « {file_name} » pèse {megabytes(size)} Mo, au-delà de la limite de "
            f"{megabytes(limit)} Mo (réglage IMPORT_MAX_FILE_SIZE) : rien n'a été lu. "
            "Découpez-le, ou faites relever la limite si le fichier est légitime."
        )


def check_row_count(rows, file_name):
    if rows > settings.IMPORT_MAX_ROWS:
        raise ImportFileError(
            f"Le fichier « {file_name} » compte plus de {count(settings.IMPORT_MAX_ROWS)} lignes "
            "de données, la limite (réglage IMPORT_MAX_ROWS) : rien n'a été enregistré. "
            "Découpez-le en plusieurs fichiers."
        )


NUL_REASON = (
    "la valeur contient un octet nul (0x00) ; le fichier est endommagé ou n'est pas un "
    "fichier texte"
)


def nul_position(data):
    """Where the first NUL byte of a file's head is, as a person would look for it."""
    index = data.index(b"\x00")
    line_start = data.rfind(b"\n", 0, index) + 1
    line = data.count(b"\n", 0, index) + 1
    return f"octet nul (0x00) ligne {line}, position {index - line_start + 1}"


def check_header(header, file_name):
    for position, label in enumerate(header, start=1):
        if isinstance(label, str) and "\x00" in label:
            raise ImportFileError(
                f"Le fichier « {file_name} », ligne 1 (en-tête), colonne n° {position} : "
                f"{NUL_REASON}."
            )


def nul_cells(values, header):
    """(column label, value) of each cell holding a NUL byte, read by the import or not."""
    return [
        (str(header[index]) if index < len(header) else f"n° {index + 1}", value)
        for index, value in enumerate(values)
        if isinstance(value, str) and "\x00" in value
    ]


def binary_lines(binary, file_name):
    # readline() with a bound: a file without line breaks is never read whole into memory.
    limit = settings.IMPORT_MAX_LINE_LENGTH
    number = 0
    while raw := binary.readline(limit + 1):
        number += 1
        if len(raw) > limit:
            raise ImportFileError(
                f"Le fichier « {file_name} », ligne {number} : la ligne dépasse "
                f"{count(limit)} octets (réglage IMPORT_MAX_LINE_LENGTH) ; ce n'est pas un CSV "
                "attendu."
            )
        yield raw


def decoded_lines(binary, file_name, progress=None):
    # Decoding line by line (not through TextIOWrapper) lets a Windows-1252 file be refused
    # with the exact line and byte that is not UTF-8.
    for number, raw in enumerate(binary_lines(binary, file_name), start=1):
        if progress is not None:
            progress(len(raw))
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = raw[error.start]
            raise ImportFileError(
                f"Le fichier « {file_name} » n'est pas encodé en UTF-8 : ligne {number}, "
                f"octet 0x{byte:02X} en position {error.start + 1} "
                f"(« {visible(raw[: error.start].decode('utf-8', 'replace')[-30:])}… »). Il a "
                "sans doute été enregistré en Windows-1252 (ANSI) ; enregistrez-le en "
                "« CSV UTF-8 »."
            ) from None


class CappedList:
    """Keeps the first LISTED_ERRORS items and counts every one: len() is the total,
    iteration gives the kept ones, `rest()` the line saying how many were left out."""

    def __init__(self, items=(), limit=LISTED_ERRORS):
        self.limit = limit
        self.items = []
        self.total = 0
        self.extend(items)

    def append(self, item):
        self.total += 1
        if len(self.items) < self.limit:
            self.items.append(item)

    def extend(self, items):
        for item in items:
            self.append(item)

    def __len__(self):
        return self.total

    def __iter__(self):
        return iter(self.items)

    def __getitem__(self, index):
        return self.items[index]

    def __repr__(self):
        return f"CappedList({self.items!r}, total={self.total})"

    def rest(self, noun="erreurs"):
        hidden = self.total - len(self.items)
        if hidden <= 0:
            return ""
        return f"… et {count(hidden)} autres {noun} ({count(self.total)} au total)"

    def lines(self, render=str, noun="erreurs"):
        out = [render(item) for item in self.items]
        if rest := self.rest(noun):
            out.append(rest)
        return out
