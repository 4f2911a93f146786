"""Issuing a convention: freezing what it prints, and replacing it when it was wrong."""

import hashlib
import logging
import os
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from communes import journal
from communes.history import bulk_create_audited
from conventions.enums import ConventionStatus
from conventions.models import SNAPSHOT_FIELDS, Convention, Enrollment
from conventions.pdf import ConventionDocument
from conventions.private_storage import (
    STORAGE_ERRORS,
    move,
    storage_errors,
    stored_names,
    write,
)

logger = logging.getLogger(__name__)

# A PDF written before its row is committed.
PENDING_SUFFIX = ".part"


def issue(convention, *, rename_on_commit=False):
    """Render the final PDF, store it with its SHA-256 and freeze the printed figures.

    With `rename_on_commit`, the caller's transaction (which holds the row's lock until
    then) commits the issuing: the file takes its final name only then.
    """
    pending = None
    try:
        with transaction.atomic():
            # Lock first: two agents (or two workers) must not issue the same convention.
            # Only its row: without `of`, PostgreSQL would also lock the joined school year
            # and académie, which every convention shares, and parallel workers would wait
            # for each other's whole rendering.
            convention = (
                Convention.objects.select_for_update(of=("self",))
                .select_related("collectivite", "commune", "school_year", "academie")
                .get(pk=convention.pk)
            )
            if convention.status != ConventionStatus.BROUILLON:
                raise ValidationError(
                    "La convention %(reference)s est déjà %(status)s.",
                    code="not_a_draft",
                    params={
                        "reference": convention.reference,
                        "status": convention.get_status_display(),
                    },
                )
            storage = convention.pdf.storage
            final = convention.pdf.field.generate_filename(
                convention, f"{convention.reference}.pdf"
            )
            document = ConventionDocument.for_draft(convention)
            pdf = document.render(draft=False)
            convention.issued_rate = document.rate
            convention.issued_school_count = document.school_count
            convention.issued_amount = document.amount
            convention.issued_school_labels = document.school_labels
            convention.issued_signatory_name = document.signatory_name
            convention.issued_signatory_titles = "\n".join(document.signatory_titles)
            convention.issued_template = document.template
            convention.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
            # Through the storage API, on the private storage: never served publicly. Under
            # a pending name until the row is committed, so that a crash before the commit
            # leaves no file under the final name (which the next run would have to avoid).
            # A storage that cannot be written fails this convention with a French error,
            # before anything is committed: it stays a draft. What a process killed while
            # issuing this draft left under these names is replaced: nobody else writes them
            # while we hold the row's lock and it is still a draft.
            with storage_errors(convention.reference):
                pending = write(storage, f"{final}{PENDING_SUFFIX}", pdf, "application/pdf")
            _freeze_for_tests(convention)
            convention.pdf.name = final
            # One UPDATE (and one history version) for the frozen figures and the status.
            convention.transition_to(
                ConventionStatus.EMISE, locked=True, also_save=SNAPSHOT_FIELDS
            )
            journal.record(
                journal.JournalEvent.CONVENTION_ISSUED,
                obj=convention,
                reference=convention.reference,
                sha256=convention.pdf_sha256,
                amount=convention.issued_amount,
                school_count=convention.issued_school_count,
            )
    except BaseException:
        # The database rolled back: do not leave the file behind.
        if pending:
            try:
                convention.pdf.storage.delete(pending)
            except STORAGE_ERRORS:
                logger.exception(
                    "Fichier en attente non supprimé : %s",
                    pending,
                    extra={"convention": convention},
                )
        raise
    # Once committed (here, or when the caller's transaction commits: a background batch
    # records its progress in the same transaction), the file takes its final name (an
    # atomic rename on the disk, a copy inside the object storage). A crash or a storage
    # failure just before leaves the pending file, which `finish_renames` (run at the end
    # of a batch and of `issue_conventions`) or `verify_documents --repair` renames.
    if rename_on_commit:
        transaction.on_commit(lambda: _rename(storage, pending, final, convention.reference))
    else:
        _rename(storage, pending, final, convention.reference)
    return convention


def _rename(storage, pending, final, reference):
    try:
        move(storage, pending, final)
    except STORAGE_ERRORS:
        logger.exception(
            "PDF émis resté sous son nom provisoire %s : lancez "
            "`manage.py verify_documents --repair`.",
            pending,
            extra={"reference": reference},
        )


def finish_renames(conventions):
    """Give their final name to the issued PDFs left under a pending name (their process
    died between the commit and the rename); return how many."""
    field = Convention._meta.get_field("pdf")
    storage = field.storage
    # One listing of the folder rather than a request per convention to the object storage.
    pending = {
        name.removesuffix(PENDING_SUFFIX): name
        for name in stored_names(storage, field.upload_to.rstrip("/"))
        if name.endswith(PENDING_SUFFIX)
    }
    finals = conventions.filter(status=ConventionStatus.EMISE, pdf__in=pending).values_list(
        "pdf", flat=True
    )
    for final in finals:
        # Committed: the pending file is the one the row's SHA-256 describes.
        move(storage, pending[final], final)
    return len(finals)


_issued_here = 0


def _freeze_for_tests(convention):
    # Fault injection for the crash tests (ENTCONV_TEST_FREEZE_AFTER=N): after N documents,
    # this process stops for good in the worst place, its PDF written under the pending
    # name and the row still locked and uncommitted, and says which convention it holds in
    # `frozen-<pid>` in its working directory, for the test to kill it there.
    global _issued_here
    after = os.environ.get("ENTCONV_TEST_FREEZE_AFTER")
    if after is None:
        return
    _issued_here += 1
    if _issued_here > int(after):
        Path(f"frozen-{os.getpid()}").write_text(convention.reference)
        while True:
            time.sleep(60)


def issued_pdf(convention):
    """The stored bytes, checked against the fingerprint taken when issuing."""
    with convention.pdf.open("rb") as file:
        content = file.read()
    if hashlib.sha256(content).hexdigest() != convention.pdf_sha256:
        raise ValidationError(
            "Le PDF enregistré de la convention %(reference)s ne correspond plus à son "
            "empreinte SHA-256 : il a été altéré.",
            code="tampered",
            params={"reference": convention.reference},
        )
    return content


def cancel_and_replace(convention, reason):
    """Cancel a convention and open its replacement (number + 1) as a draft."""
    with transaction.atomic():
        convention.transition_to(ConventionStatus.ANNULEE, reason=reason)
        schools = list(convention.schools.all())
        replacement = Convention.objects.create(
            collectivite=convention.collectivite,
            commune=convention.commune,
            school_year=convention.school_year,
            academie=convention.academie,
            document_date=convention.document_date,
            number=convention.number + 1,
            replaces=convention,
        )
        bulk_create_audited(
            Enrollment,
            [
                Enrollment(
                    convention=replacement, school=school, school_year=convention.school_year
                )
                for school in schools
            ],
        )
    return replacement
