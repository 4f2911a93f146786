import json
import re
import subprocess
import tempfile
from html import unescape
from pathlib import Path


def _run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdf_text(pdf_bytes):
    """The text a reader gets, with spaces and line breaks collapsed to single spaces."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf_bytes)
        file.flush()
        text = _run("pdftotext", "-enc", "UTF-8", file.name, "-")
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " ")).strip()


def pdf_info(pdf_bytes):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf_bytes)
        file.flush()
        # The document information (Title, Tagged…) then the XMP packet (PDF/A claim).
        return _run("pdfinfo", file.name) + _run("pdfinfo", "-meta", file.name)


def pdf_attachment(pdf_bytes, name="convention.json"):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf_bytes)
        listing = _run("pdfdetach", "-list", str(path))
        assert name in listing, listing
        _run("pdfdetach", "-saveall", "-o", folder, str(path))
        return json.loads((Path(folder) / name).read_text(encoding="utf-8"))


WORD_RE = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def pdf_pages(pdf_bytes, *, layout=False):
    """Each page's text as pdftotext prints it (with -layout: columns kept apart)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf_bytes)
        file.flush()
        options = ["-layout"] if layout else []
        text = _run("pdftotext", *options, "-enc", "UTF-8", file.name, "-")
    return text.split("\f")[:-1]


def pdf_words(pdf_bytes):
    """Every word with its page (from 1) and box in points: (page, x0, y0, x1, y1, word)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf_bytes)
        file.flush()
        xhtml = _run("pdftotext", "-bbox", "-enc", "UTF-8", file.name, "-")
    words = []
    for number, page in enumerate(xhtml.split("<page ")[1:], start=1):
        for x0, y0, x1, y1, word in WORD_RE.findall(page):
            words.append((number, float(x0), float(y0), float(x1), float(y1), unescape(word)))
    return words
