# One module per part of the domain; importing them registers their admins.
from conventions.admin import (  # noqa: F401
    accounts,
    batches,
    conventions,
    enrollments,
    error_reports,
    reference,
    titres,
)
