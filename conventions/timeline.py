"""One convention's life, from its history (django-simple-history) and the journal."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import CharField, Q
from django.db.models.functions import Cast

from communes.admin_history import french_value
from communes.journal import JournalEntry, JournalEvent, object_type
from conventions.enums import ConventionStatus
from conventions.models import Enrollment, SchoolConfirmation, Titre
from conventions.templatetags.money import euros

# Fields a person edits on the convention page; the rest is written by the workflows,
# whose events the journal tells better.
EDITED_FIELDS = ("collectivite", "commune", "school_year", "academie", "document_date")
# Read receipts of the private link (Convention.record_first).
READ_RECEIPT_FIELDS = {
    "link_opened_at": "lien privé ouvert par la collectivité",
    "pdf_downloaded_at": "PDF téléchargé par la collectivité",
}


@dataclass
class Step:
    at: datetime
    label: str
    actor: str = ""
    detail: str = ""


def who(record):
    if record.history_user_id:
        return record.history_user.get_username()
    return record.history_change_reason or "système"


def describe(record, change):
    field = record.instance_type._meta.get_field(change.field)
    old, new = french_value(field, change.old), french_value(field, change.new)
    return f"{field.verbose_name} : {old} → {new}"


def status_label(value):
    try:
        return ConventionStatus(value).label
    except ValueError:
        return value


def journal_detail(entry):
    data = entry.data
    match entry.event:
        case JournalEvent.CONVENTION_ISSUED:
            return f"SHA-256 {data.get('sha256', '')}"
        case JournalEvent.CONVENTION_STATUS:
            return f"{status_label(data.get('previous'))} → {status_label(data.get('status'))}"
        case JournalEvent.CONVENTION_CANCELLED:
            return f"motif : {data.get('reason', '')}"
        case JournalEvent.LINK_SENT:
            return ", ".join(data.get("recipients", []))
        case JournalEvent.SIGNED_UPLOADED:
            return f"acte {data.get('act_identifier', '')}".strip()
        case JournalEvent.TITRE_ISSUED:
            return f"{data.get('number', '')} – {euros(data.get('amount'))}"
        case JournalEvent.TITRE_PAID:
            return f"{data.get('number', '')} – {euros(data.get('amount_paid'))}"
        case JournalEvent.TITRE_CANCELLED:
            return f"{data.get('number', '')} – motif : {data.get('reason', '')}"
    return ""


def convention_steps(convention):
    """Every step, oldest first: a fixed number of queries whatever the history's length."""
    steps = []
    records = list(
        convention.history.select_related("history_user").order_by("history_date", "history_id")
    )
    previous = None
    asked = False
    for record in records:
        # A draft's link sent: the mairie asked to confirm its schools (the issued
        # convention's link is in the journal).
        if (
            record.status == ConventionStatus.BROUILLON
            and record.link_sent_at
            and record.link_sent_at != getattr(previous, "link_sent_at", None)
        ):
            asked = True
            steps.append(Step(record.link_sent_at, "demande de confirmation envoyée", who(record)))
        if record.history_type == "+":
            steps.append(Step(record.history_date, "convention créée", who(record)))
        elif previous is not None and record.history_type == "~":
            delta = record.diff_against(
                previous, included_fields=EDITED_FIELDS, foreign_keys_are_objs=True
            )
            if delta.changes:
                changes = "; ".join(describe(record, change) for change in delta.changes)
                steps.append(
                    Step(record.history_date, "convention modifiée", who(record), changes)
                )
        previous = record
    enrollments = Enrollment.history.filter(convention_id=convention.pk).select_related(
        "history_user", "school"
    )
    for record in enrollments:
        school = record.school
        label = f"{school.name} ({school.uai})" if school else str(record.school_id)
        if record.history_type == "+":
            steps.append(Step(record.history_date, "école ajoutée", who(record), label))
        elif record.history_type == "-":
            steps.append(Step(record.history_date, "école retirée", who(record), label))
    # The mairie answers through a draft's link: no request sent, no answer to read (one
    # query less on most conventions' pages).
    answers = (
        SchoolConfirmation.objects.filter(convention_id=convention.pk).select_related(
            "accepted_by"
        )
        if asked
        else []
    )
    for answer in answers:
        detail = f"adresse IP {answer.ip_address}" if answer.ip_address else ""
        steps.append(
            Step(
                answer.confirmed_at, "écoles confirmées par la mairie", answer.confirmed_by, detail
            )
        )
        if answer.accepted_at:
            accepted_by = answer.accepted_by.get_username() if answer.accepted_by else "système"
            steps.append(Step(answer.accepted_at, "réponse de la mairie acceptée", accepted_by))
    for field, label in READ_RECEIPT_FIELDS.items():
        if at := getattr(convention, field, None):
            steps.append(Step(at, label, "collectivité"))
    # The titres' ids as the journal stores them (text), in the same query.
    titre_ids = (
        Titre.objects.filter(convention=convention)
        .annotate(text_id=Cast("pk", CharField()))
        .values("text_id")
    )
    entries = JournalEntry.objects.filter(
        Q(object_type=object_type(convention), object_id=str(convention.pk))
        | Q(object_type=Titre._meta.label_lower, object_id__in=titre_ids)
    )
    for entry in entries:
        steps.append(Step(entry.at, entry.get_event_display(), entry.actor, journal_detail(entry)))
    steps.sort(key=lambda step: step.at)
    return steps
