import re
import tempfile
import zipfile

from django.contrib import admin
from django.http import HttpResponse
from django.urls import path
from django.utils.functional import lazy
from django.utils.html import format_html

from conventions.enums import ConventionStatus
from conventions.issuing import issued_pdf
from conventions.templatetags.dates import long_date, long_datetime

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
    # A page under <pk>/ of a scoped admin answers 404 for another académie's row.
    scoped = getattr(model_admin, "scope_view", lambda view: view)
    return [
        path(route, model_admin.admin_site.admin_view(scoped(view)), name=f"{prefix}_{suffix}")
        for route, view, suffix in routes
    ]


class LongDatesMixin:
    """Shows the dates and moments named in `long_dates` as the portal prints them
    ("1er décembre 2026", "1er décembre 2026 à 09:05") where Django prints "1 décembre 2026",
    in the list and read-only; the admin's declarations keep the fields' own names."""

    long_dates = []

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        for name in self.long_dates:
            setattr(self, f"{name}_long", self._long_date_display(name))

    def _long_date_display(self, name):
        # Read when shown: the admin is built before later apps' ready() rename fields.
        label = lazy(lambda: self.model._meta.get_field(name).verbose_name, str)()

        @admin.display(description=label, ordering=name)
        def display(obj):
            value = getattr(obj, name)
            if value is None:
                return self.get_empty_value_display()
            return long_datetime(value) if hasattr(value, "hour") else long_date(value)

        return display

    def get_list_display(self, request):
        return [
            f"{name}_long" if name in self.long_dates else name
            for name in super().get_list_display(request)
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + [f"{name}_long" for name in self.long_dates if name in fields]

    def get_fieldsets(self, request, obj=None):
        readonly = set(self.get_readonly_fields(request, obj))

        def swap(names):
            swapped = []
            for name in names:
                if isinstance(name, (list, tuple)):
                    swapped.append(swap(name))
                elif f"{name}_long" in readonly:
                    swapped.append(f"{name}_long")
                elif not (name.endswith("_long") and name.removesuffix("_long") in names):
                    # Without fieldsets, Django lists every read-only field, ours too.
                    swapped.append(name)
            return swapped

        return [
            (title, {**options, "fields": swap(options["fields"])})
            for title, options in super().get_fieldsets(request, obj)
        ]
