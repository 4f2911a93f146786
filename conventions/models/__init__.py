# One module per part of the domain; the names are re-exported so that imports (and the
# migrations' references) stay `conventions.models.X`.
from conventions.models.batches import IssuingBatch
from conventions.models.confirmations import MissingSchoolReport, SchoolConfirmation
from conventions.models.convention_queries import (
    FROZEN_FIELDS,
    SNAPSHOT_FIELDS,
    ConventionQuerySet,
    frozen_error,
)
from conventions.models.conventions import Convention
from conventions.models.enrollments import Enrollment
from conventions.models.error_reports import ERROR_REPORT_MAX_LENGTH, ErrorReport
from conventions.models.reference import (
    ConventionTemplate,
    SchoolYear,
    Signatory,
    Tariff,
    hash_access_token,
    storages_private,
    validate_school_year_label,
)
from conventions.models.reminders import Reminder, ReminderEmail
from conventions.models.titres import AMOUNT_FROZEN_MESSAGE, Titre, TitreCounter, TitreQuerySet

__all__ = [
    "AMOUNT_FROZEN_MESSAGE",
    "ERROR_REPORT_MAX_LENGTH",
    "FROZEN_FIELDS",
    "SNAPSHOT_FIELDS",
    "Convention",
    "ConventionQuerySet",
    "ConventionTemplate",
    "Enrollment",
    "ErrorReport",
    "IssuingBatch",
    "MissingSchoolReport",
    "Reminder",
    "ReminderEmail",
    "SchoolConfirmation",
    "SchoolYear",
    "Signatory",
    "Tariff",
    "Titre",
    "TitreCounter",
    "TitreQuerySet",
    "frozen_error",
    "hash_access_token",
    "storages_private",
    "validate_school_year_label",
]
