"""The private storage against the rows: files no row points to, rows whose file is missing
or no longer matches the SHA-256 taken when issuing."""

import hashlib
from dataclasses import dataclass, field

from conventions.issuing import PENDING_SUFFIX
from conventions.models import Convention
from conventions.private_storage import move, stored_names

FILE_FIELDS = ("pdf", "signed_pdf")


@dataclass
class Audit:
    checked: int = 0
    stray: list = field(default_factory=list)  # names
    missing: list = field(default_factory=list)  # (reference, field label, name)
    tampered: list = field(default_factory=list)  # (reference, name)
    # Pending files of an issue that was committed but died before the rename.
    interrupted: list = field(default_factory=list)  # (pending name, final name)

    @property
    def problems(self):
        return len(self.stray) + len(self.missing) + len(self.tampered)


def storage():
    return Convention._meta.get_field("pdf").storage


def sha256(private, name):
    digest = hashlib.sha256()
    with private.open(name, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def audit():
    private = storage()
    files = set(stored_names(private))
    result = Audit(checked=len(files))
    referenced = set()
    rows = (
        Convention.objects.select_related("school_year", "academie", "commune")
        .exclude(pdf="", signed_pdf="")
        .order_by("pk")
    )
    for convention in rows.iterator(chunk_size=500):
        for name in FILE_FIELDS:
            stored = getattr(convention, name).name
            if not stored:
                continue
            referenced.add(stored)
            label = str(Convention._meta.get_field(name).verbose_name)
            pending = f"{stored}{PENDING_SUFFIX}"
            if stored not in files:
                if (
                    name == "pdf"
                    and pending in files
                    and sha256(private, pending) == convention.pdf_sha256
                ):
                    result.interrupted.append((pending, stored))
                    referenced.add(pending)
                    continue
                result.missing.append((convention.reference, label, stored))
            elif name == "pdf" and sha256(private, stored) != convention.pdf_sha256:
                result.tampered.append((convention.reference, stored))
    result.stray = sorted(files - referenced)
    return result


def finish_interrupted(result):
    """Give the pending files of committed issues their final name."""
    private = storage()
    for pending, final in result.interrupted:
        move(private, pending, final)
