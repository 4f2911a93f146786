"""A process killed between an issue's commit and the rename of its PDF leaves the file
under its pending name: the next `issue_conventions` gives it its final name."""

import hashlib
from io import StringIO

from django.core.management import call_command

from conventions.issuing import PENDING_SUFFIX, issue
from conventions.private_storage import move
from tests.factories import complete_convention


def test_the_next_run_renames_a_committed_pdf_left_pending(db, private_storage):
    convention = issue(complete_convention())
    untouched = issue(
        complete_convention(school_year=convention.school_year, academie=convention.academie)
    )
    final = convention.pdf.name
    move(private_storage, final, f"{final}{PENDING_SUFFIX}")
    # A draft's pending file belongs to an issue that was rolled back: not renamed.
    draft = complete_convention(school_year=convention.school_year)
    private_storage.save(f"conventions/{draft.reference}.pdf{PENDING_SUFFIX}", StringIO("x"))
    output = StringIO()

    call_command("issue_conventions", "--year", convention.school_year.label, stdout=output)

    assert "1 PDF d'une émission interrompue renommé sous son nom définitif." in (
        output.getvalue()
    )
    assert "1 convention émise sur 1." in output.getvalue()
    assert sorted(private_storage.listdir("conventions")[1]) == sorted(
        f"{c.reference}.pdf" for c in (convention, untouched, draft)
    )
    with private_storage.open(final, "rb") as file:
        assert hashlib.sha256(file.read()).hexdigest() == convention.pdf_sha256
