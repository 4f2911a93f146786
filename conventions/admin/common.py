import re
import tempfile
import zipfile

from django.http import HttpResponse
from django.urls import path
from django.utils.html import format_html

from conventions.enums import ConventionStatus
from conventions.issuing import issued_pdf

STATUS_LABELS = dict(ConventionStatus.choices)
UAI_RE = re.compile(r"^\d{7}[A-Z]$")


def status_badge(obj):
    """A convention's or a titre's status, coloured by the admin's stylesheet."""
    return format_html(
        '<span class="entconv-status entconv-status--{}">{}</span>',
        obj.status,
        obj.get_status_display(),
    )


def pdf_response(content, filename, *, attachment):
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def issued_zip(conventions):
    """One ZIP of the stored PDFs: what was issued, byte for byte."""
    # A whole year weighs tens of megabytes: spill to disk beyond 16 MB.
    buffer = tempfile.SpooledTemporaryFile(max_size=16 * 2**20)  # noqa: SIM115 (FileResponse closes it)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for convention in conventions:
            archive.writestr(f"{convention.reference}.pdf", issued_pdf(convention))
    buffer.seek(0)
    return buffer


# Statuses staff may set by hand from the convention page; issuing and billing have their
# own workflows.
MANUAL_TRANSITIONS = [
    (ConventionStatus.ENVOYEE, "Marquer comme envoyée"),
    (ConventionStatus.SIGNEE_COLLECTIVITE, "Marquer signée par la collectivité"),
    (ConventionStatus.SIGNEE_ACADEMIE, "Marquer signée par l'académie"),
]


def admin_paths(model_admin, routes):
    """The admin's own pages: (route, view, suffix) named "<app>_<model>_<suffix>"."""
    prefix = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}"
    return [
        path(route, model_admin.admin_site.admin_view(view), name=f"{prefix}_{suffix}")
        for route, view, suffix in routes
    ]
