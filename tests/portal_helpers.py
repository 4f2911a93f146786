"""Issued conventions for the portal tests: the real issuing for Céret, a quick stand-in
for unit tests that only need the frozen fields and some PDF bytes."""

import datetime
import hashlib
import io

from django.core.files.base import ContentFile
from pypdf import PdfWriter

from conventions.enums import ConventionStatus


def make_pdf(pages=1):
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def mark_issued(convention, pdf_bytes=None):
    """Freeze the fee and schools as issuing does, store a PDF, and move to "émise"."""
    pdf_bytes = pdf_bytes or make_pdf()
    fee = convention.fee
    convention.issued_rate = fee.rate
    convention.issued_school_count = fee.school_count
    convention.issued_amount = fee.amount
    convention.issued_school_labels = [
        enrollment.school.convention_label()
        for enrollment in convention.enrollments.select_related("school__commune__departement")
    ]
    signatory = convention.school_year.signatories.filter(academie=convention.academie).first()
    if signatory is not None:
        convention.issued_signatory_name = signatory.name
        convention.issued_signatory_titles = signatory.title_lines
    convention.pdf.save(f"{convention.reference}.pdf", ContentFile(pdf_bytes), save=False)
    convention.pdf_sha256 = hashlib.sha256(pdf_bytes).hexdigest()
    convention.save()
    convention.transition_to(ConventionStatus.EMISE)
    return convention


def issued_ceret():
    """The seed convention of Céret (4 schools × 41 €), really issued (its shipped wording,
    WeasyPrint, frozen figures), with a fresh private link."""
    from django.core.management import call_command

    from conventions.issuing import issue
    from conventions.models import Convention

    call_command("loaddata", "convention_templates", verbosity=0)
    convention = Convention.objects.get(
        commune__insee_code="66049", school_year__label="2026-2027"
    )
    convention = issue(convention)
    # Issued on its document date, as staff would have, so that an act of June 2026 (the
    # real one's date) falls between the issue and today.
    convention.issued_at = datetime.datetime(2026, 5, 21, 10, tzinfo=datetime.UTC)
    Convention.objects.filter(pk=convention.pk).update(issued_at=convention.issued_at)
    token = convention.new_access_link()
    return convention, token
