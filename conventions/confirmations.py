"""The mairie confirms its schools before issuing: sending the draft's private link, recording
the answer, and staff accepting it into the draft."""

import secrets

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from communes.validators import split_emails
from conventions.access_links import portal_url
from conventions.enums import ConventionStatus
from conventions.error_reports import notify_staff, today_bounds
from conventions.models import (
    Convention,
    Enrollment,
    MissingSchoolReport,
    SchoolConfirmation,
    Tariff,
    hash_access_token,
)
from entconv.compiled_queries import CompiledQuery
from schools.enums import SchoolStatus
from schools.models import School

# A mairie may signal this many missing schools per convention and day; beyond, staff would
# be flooded by one link.
MISSING_SCHOOL_REPORTS_PER_DAY = 5
# Primary keys are signed 64-bit integers (BigAutoField) on every database we run.
PK_LIMIT = 2**63


def not_a_draft_error(convention):
    return ValidationError(
        "La convention %(reference)s est déjà %(status)s : la liste des écoles ne peut plus "
        "être modifiée depuis ce lien. Écrivez au service ENT-École de votre académie.",
        code="not_a_draft",
        params={"reference": convention.reference, "status": convention.get_status_display()},
    )


# What the confirmation page shows of the latest answer, read with the draft
# (latest_confirmation()); its other fields are read from the database if ever asked for.
LATEST_ANSWER_FIELDS = (
    "confirmed_at",
    "confirmed_by",
    "representative_name",
    "representative_title",
    "emails",
)


def with_page_state(queryset):
    """What the confirmation page shows besides the draft's row, read by the same query: the
    latest answer, the missing-school reports (both only ever added) and the year's rate."""
    answers = SchoolConfirmation.objects.filter(convention=OuterRef("pk")).order_by(
        "-confirmed_at", "-pk"
    )
    reports = (
        MissingSchoolReport.objects.filter(convention=OuterRef("pk"))
        .order_by()
        .values("convention")
    )
    return queryset.annotate(
        latest_confirmation_pk=Subquery(answers.values("pk")[:1]),
        **{
            f"latest_confirmation_{field}": Subquery(answers.values(field)[:1])
            for field in LATEST_ANSWER_FIELDS
        },
        report_count=Subquery(reports.annotate(n=Count("pk")).values("n")),
        last_report_pk=Subquery(reports.annotate(last=Max("pk")).values("last")),
        tariff_rate=Subquery(
            # One rate per year and académie: no ordering, whose joins PostgreSQL would plan.
            Tariff.objects.filter(
                school_year=OuterRef("school_year"), academie=OuterRef("academie")
            )
            .order_by()
            .values("rate")[:1]
        ),
    )


def draft_by_token_hash(token_hash):
    return with_page_state(
        Convention.objects.filter(access_token_hash=token_hash, status=ConventionStatus.BROUILLON)
        .select_related("collectivite", "commune__departement", "school_year", "academie")
        .order_by()[:1]
    )


# Read at each view of the page: compiled once (entconv/compiled_queries.py).
DRAFT_BY_TOKEN_HASH = CompiledQuery(draft_by_token_hash)


def draft_for_token(token):
    """The draft a confirmation link opens (with_page_state), or None."""
    found = DRAFT_BY_TOKEN_HASH(hash_access_token(token))
    return found[0] if found else None


def send_for_confirmation(convention):
    """E-mail the draft's private link to the collectivité, asking it to confirm its schools.

    A new link each time, as for the issued convention's: the previous one stops working.
    """
    if convention.status != ConventionStatus.BROUILLON:
        raise not_a_draft_error(convention)
    recipients = convention.collectivite.email_list()
    if not recipients:
        raise ValidationError(
            "La collectivité %(name)s n'a aucune adresse e-mail de contact : ajoutez-en une "
            "avant de lui demander de confirmer ses écoles.",
            code="no_recipient",
            params={"name": convention.collectivite},
        )
    with transaction.atomic():
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        convention.access_token_hash = hash_access_token(token)
        convention.link_created_at = now
        convention.link_sent_at = now
        convention.save(update_fields=["access_token_hash", "link_created_at", "link_sent_at"])
        url = portal_url(token)
        body = render_to_string(
            "conventions/email/confirmation_request.txt", {"convention": convention, "url": url}
        )
        # Sent inside the transaction: a refused e-mail records no link.
        EmailMessage(
            subject=(
                f"Convention ENT-École {convention.school_year} – {convention.commune.name} : "
                "écoles à confirmer"
            ),
            body=body,
            to=recipients,
        ).send()
    return url


# What the mairie sees ---------------------------------------------------------------------


def offered_schools(convention):
    """The open schools the mairie may tick: its commune's, and any the draft already enrolls,
    except those another live convention of the year enrolls."""
    return schools_offered_for(convention.pk, convention.school_year_id, convention.commune_id)


def schools_offered_for(convention_pk, school_year_pk, commune_pk):
    taken_elsewhere = Enrollment.objects.filter(
        school=OuterRef("pk"), school_year=school_year_pk, active=True
    ).exclude(convention=convention_pk)
    enrolled = Enrollment.objects.filter(convention=convention_pk)
    # A UNION, not "commune OR enrolled": PostgreSQL reads both by index, where the OR made it
    # scan every school of the annuaire and hash every commune (9 ms a view, 0.2 ms now).
    candidates = (
        School.objects.filter(commune=commune_pk).values("pk").union(enrolled.values("school"))
    )
    return (
        School.objects.open()
        .filter(pk__in=candidates)
        .exclude(Exists(taken_elsewhere))
        .annotate(in_draft=Exists(enrolled.filter(school=OuterRef("pk"))))
        .with_label_relations()
        .order_by("name")
    )


def schools_as_confirmed(convention_pk, school_year_pk, commune_pk, answer_pk):
    """offered_schools(), each marked `in_answer` when the mairie's answer `answer_pk` (0:
    none) ticked it, every row also carrying the draft's latest answer (`latest_answer_pk`)
    and its number of schools (`draft_school_count`): what the page and an answer read of
    the draft's schools, in one round trip."""
    answers = SchoolConfirmation.objects.filter(convention=convention_pk).order_by(
        "-confirmed_at", "-pk"
    )
    draft_schools = (
        Enrollment.objects.filter(convention=convention_pk)
        .order_by()
        .values("convention")
        .annotate(n=Count("pk"))
        .values("n")
    )
    ticked = SchoolConfirmation.schools.through.objects.filter(
        schoolconfirmation=answer_pk, school=OuterRef("pk")
    )
    return schools_offered_for(convention_pk, school_year_pk, commune_pk).annotate(
        in_answer=Exists(ticked),
        latest_answer_pk=Subquery(answers.values("pk")[:1]),
        draft_school_count=Coalesce(Subquery(draft_schools), 0),
    )


# Read at each view of the page and each answer: compiled once (entconv/compiled_queries.py).
# An answer names the schools it adds or removes (convention_label: commune, département);
# the page shows only the schools' own fields, and builds 8 models instead of 24.
SCHOOLS_AS_CONFIRMED = CompiledQuery(schools_as_confirmed)
SCHOOLS_AS_CONFIRMED_UNLABELLED = CompiledQuery(
    lambda *values: schools_as_confirmed(*values).select_related(None)
)


def offered_school_list(convention, answer_pk=None, *, labels=True):
    """schools_as_confirmed(): the offered schools, those `answer_pk` ticked marked; with
    their commune and département read (`labels`), or read only if asked for."""
    query = SCHOOLS_AS_CONFIRMED if labels else SCHOOLS_AS_CONFIRMED_UNLABELLED
    return query(convention.pk, convention.school_year_id, convention.commune_id, answer_pk or 0)


def latest_confirmation(convention):
    if hasattr(convention, "latest_confirmation_pk"):
        # Read with the draft (with_page_state): no query of its own.
        if convention.latest_confirmation_pk is None:
            return None
        read = {
            "id": convention.latest_confirmation_pk,
            "convention_id": convention.pk,
            **{
                field: getattr(convention, f"latest_confirmation_{field}")
                for field in LATEST_ANSWER_FIELDS
            },
        }
        # from_db() takes the values in the model's order of fields; the others are deferred.
        names = [f.attname for f in SchoolConfirmation._meta.concrete_fields if f.attname in read]
        return SchoolConfirmation.from_db(
            convention._state.db, names, [read[name] for name in names]
        )
    return convention.confirmations.order_by("-confirmed_at", "-pk").first()


def initial_school_ids(convention, confirmation, offered):
    """Ticked on arrival: the offered schools of the mairie's last answer, else the draft's
    schools, else those its commune enrolled last year. `offered`:
    offered_school_list(convention, confirmation.pk), already read."""
    if confirmation is not None:
        return {school.pk for school in offered if school.in_answer}
    enrolled = {school.pk for school in offered if school.in_draft}
    if enrolled:
        return enrolled
    last_year = (
        Convention.objects.filter(commune=convention.commune_id)
        .exclude(pk=convention.pk)
        .exclude(status=ConventionStatus.ANNULEE)
        .filter(school_year__label__lt=convention.school_year.label)
        .order_by("-school_year__label")
        .first()
    )
    if last_year is None:
        return set()
    return set(last_year.enrollments.values_list("school", flat=True))


def school_choice_error(convention, posted_ids, offered_ids):
    """Why some posted schools cannot be ticked (None when all can)."""
    unknown = [pk for pk in posted_ids if pk not in offered_ids]
    if not unknown:
        return None
    # Only ids a primary key can hold are looked up: a posted 99999999999999999999 overflows
    # the database's integer (a 500 on SQLite). Such an id names no school anyway.
    storable = [pk for pk in unknown if 0 < pk < PK_LIMIT][:20]
    schools = list(School.objects.filter(pk__in=storable).select_related("commune"))
    closed = [school for school in schools if school.status == SchoolStatus.FERME]
    if closed:
        return ValidationError(
            "L'école %(school)s est fermée : elle ne peut pas être inscrite.",
            code="closed_school",
            params={"school": closed[0]},
        )
    named = ", ".join(str(school) for school in schools[:5]) or "inconnue"
    return ValidationError(
        "Cette école n'est pas proposée pour la convention de %(commune)s (%(schools)s) : "
        "cochez seulement les écoles de la liste.",
        code="foreign_school",
        params={"commune": convention.commune.name, "schools": named},
    )


# Differences ------------------------------------------------------------------------------


ENROLLMENTS = CompiledQuery(
    lambda convention_pk: Enrollment.objects.filter(convention=convention_pk).select_related(
        "school__commune__departement"
    )
)


def differences(
    convention, *, schools, representative_name, representative_title, emails, enrolled=None
):
    """What an answer changes in the draft (and in its collectivité): {} when nothing.
    `enrolled`: the draft's schools with their label's relations, when already read."""
    if enrolled is None:
        enrolled = {enrollment.school for enrollment in ENROLLMENTS(convention.pk)}
    chosen = set(schools)
    changes = {}
    if added := sorted(chosen - enrolled, key=lambda s: s.name):
        changes["added"] = [school.convention_label() for school in added]
    if removed := sorted(enrolled - chosen, key=lambda s: s.name):
        changes["removed"] = [school.convention_label() for school in removed]
    collectivite = convention.collectivite
    for field, new in (
        ("representative_name", representative_name),
        ("representative_title", representative_title),
    ):
        old = getattr(collectivite, field)
        if old != new:
            changes[field] = [old, new]
    old_emails = collectivite.email_list()
    if old_emails != split_emails(emails):
        changes["emails"] = [old_emails, split_emails(emails)]
    return changes


def pending_differences(confirmation):
    """What accepting this answer would still change in the draft today."""
    return differences(
        confirmation.convention,
        schools=list(confirmation.schools.select_related("commune__departement")),
        representative_name=confirmation.representative_name,
        representative_title=confirmation.representative_title,
        emails=confirmation.emails,
    )


# Writing ----------------------------------------------------------------------------------


LOCKED_DRAFT = CompiledQuery(
    lambda convention_pk: (
        Convention.objects.select_for_update(of=("self",))
        .select_related("collectivite", "commune__departement", "school_year", "academie")
        .filter(pk=convention_pk)
    )
)
LATEST_CONFIRMATION_PK = CompiledQuery(
    lambda convention_pk: (
        SchoolConfirmation.objects.filter(convention=convention_pk)
        .order_by("-confirmed_at", "-pk")
        .values_list("pk", flat=True)[:1]
    )
)
# An answer from the page locks its draft by the link's token: no read of the draft before.
# Only the collectivité is joined: differences() reads its representative; the rest of the
# draft is read only for an error's message.
LOCKED_BY_TOKEN_HASH = CompiledQuery(
    lambda token_hash: (
        Convention.objects.select_for_update(of=("self",))
        .select_related("collectivite")
        .filter(access_token_hash=token_hash)
        .order_by()
    )
)


def locked_draft(convention_pk):
    # The row's lock orders two answers posted at once; the second then sees the first.
    # No with_page_state() here: a subquery of the locking statement reads the snapshot taken
    # before the lock was granted, and would miss the answer that the lock waited for.
    found = LOCKED_DRAFT(convention_pk)
    if not found:
        raise Convention.DoesNotExist("Convention matching query does not exist.")
    convention = found[0]
    if convention.status != ConventionStatus.BROUILLON:
        raise not_a_draft_error(convention)
    return convention


def record_confirmation(convention, **answer):
    """Record the mairie's answer (see record_answer_of_locked_draft)."""
    with transaction.atomic():
        return record_answer_of_locked_draft(locked_draft(convention.pk), **answer)


def record_confirmation_for_token(token, **answer):
    """record_confirmation() for the draft a confirmation link opens, locked by its token;
    None when the link opens no convention."""
    with transaction.atomic():
        found = LOCKED_BY_TOKEN_HASH(hash_access_token(token))
        if not found:
            return None
        convention = found[0]
        if convention.status != ConventionStatus.BROUILLON:
            raise not_a_draft_error(convention)
        return record_answer_of_locked_draft(convention, **answer)


def record_answer_of_locked_draft(
    convention,
    *,
    school_ids,
    representative_name,
    representative_title,
    emails,
    confirmed_by,
    ip_address,
    seen_confirmation_id,
):
    """Record the mairie's answer; refused (nothing written) when the convention was issued
    meanwhile, when another answer came in since the page was shown, or for a school it may
    not tick. `convention`: the draft, locked in the caller's transaction."""
    # Read after the lock was granted, so a statement of its own: it sees the answer the
    # lock waited for.
    rows = offered_school_list(convention)
    if rows:
        latest, draft_school_count = rows[0].latest_answer_pk, rows[0].draft_school_count
    else:
        latest, draft_school_count = next(iter(LATEST_CONFIRMATION_PK(convention.pk)), None), None
    if (latest or 0) != (seen_confirmation_id or 0):
        raise ValidationError(
            "Une autre réponse a été enregistrée pour cette convention pendant que vous "
            "remplissiez la page : rechargez-la, vérifiez-la et confirmez de nouveau.",
            code="stale_confirmation",
        )
    offered = {school.pk: school for school in rows}
    if error := school_choice_error(convention, school_ids, offered):
        raise error
    schools = [offered[pk] for pk in school_ids]
    if not schools:
        raise ValidationError("Cochez au moins une école.", code="no_school")
    # The draft's schools are among the offered rows unless one was closed or enrolled by
    # another convention since: differences() then reads them all.
    enrolled = {school for school in rows if school.in_draft}
    confirmation = SchoolConfirmation(
        convention=convention,
        representative_name=representative_name,
        representative_title=representative_title,
        emails=", ".join(split_emails(emails)),
        confirmed_by=confirmed_by,
        confirmed_at=timezone.now(),
        ip_address=ip_address or None,
        changes=differences(
            convention,
            schools=schools,
            representative_name=representative_name,
            representative_title=representative_title,
            emails=emails,
            enrolled=enrolled if len(enrolled) == draft_school_count else None,
        ),
    )
    insert_answer(confirmation, [school.pk for school in schools])
    return confirmation


# Written by insert_answer(): the others keep their default (NULL, not accepted yet).
ANSWER_COLUMNS = (
    "convention",
    "representative_name",
    "representative_title",
    "emails",
    "confirmed_by",
    "confirmed_at",
    "ip_address",
    "changes",
)


def insert_answer(confirmation, school_pks):
    """Write a new answer and its schools, in SQL written from the models' names: on
    PostgreSQL one statement (the schools in a data-modifying WITH), elsewhere two.

    Model.save() compiled its statement at each answer, and the schools took a round trip
    of their own: 6 % of the workers' processor time in an answer and its page (py-spy,
    bench/portal.py --confirmation). No signal is sent: nothing listens to these models'."""
    meta = SchoolConfirmation._meta
    through = SchoolConfirmation.schools.through._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in ANSWER_COLUMNS]
    answer_sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(meta.pk.column)}"
    )
    values = [
        field.get_db_prep_save(getattr(confirmation, field.attname), connection)
        for field in fields
    ]
    schools_into = (
        f"INSERT INTO {quote(through.db_table)} "
        f"({quote(through.get_field('schoolconfirmation').column)}, "
        f"{quote(through.get_field('school').column)})"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH answer AS ({answer_sql}), schools AS ({schools_into} "
                f"SELECT answer.{quote(meta.pk.column)}, school FROM answer, "
                "unnest(%s::bigint[]) AS school) SELECT * FROM answer",
                [*values, list(school_pks)],
            )
            confirmation.pk = cursor.fetchone()[0]
        else:
            cursor.execute(answer_sql, values)
            confirmation.pk = cursor.fetchone()[0]
            rows = ", ".join(["(%s, %s)"] * len(school_pks))
            cursor.execute(
                f"{schools_into} VALUES {rows}",
                [value for school_pk in school_pks for value in (confirmation.pk, school_pk)],
            )
    # As after save(): the instance is a stored row.
    confirmation._state.adding, confirmation._state.db = False, connection.alias


def accept_confirmation(confirmation, user):
    """The mairie's answer becomes the draft's schools and its collectivité's representative
    and e-mail addresses."""
    with transaction.atomic():
        convention = locked_draft(confirmation.convention_id)
        latest = latest_confirmation(convention)
        if latest is None or latest.pk != confirmation.pk:
            raise ValidationError(
                "La mairie a envoyé une réponse plus récente : rechargez la page.",
                code="stale_confirmation",
            )
        chosen = {school.pk: school for school in confirmation.schools.all()}
        offered = {school.pk for school in offered_schools(convention)}
        if error := school_choice_error(convention, list(chosen), offered):
            raise error
        convention.enrollments.exclude(school__in=chosen).delete()
        enrolled = set(convention.enrollments.values_list("school", flat=True))
        Enrollment.objects.bulk_create(
            Enrollment(
                convention=convention, school=school, school_year_id=convention.school_year_id
            )
            for pk, school in chosen.items()
            if pk not in enrolled
        )
        collectivite = convention.collectivite
        collectivite.representative_name = confirmation.representative_name
        collectivite.representative_title = confirmation.representative_title
        collectivite.emails = confirmation.emails
        collectivite.save(update_fields=["representative_name", "representative_title", "emails"])
        confirmation.accepted_at = timezone.now()
        confirmation.accepted_by = user
        confirmation.save(update_fields=["accepted_at", "accepted_by"])
    return confirmation


def reports_today(convention):
    start, end = today_bounds()
    return convention.missing_school_reports.filter(
        reported_at__gte=start, reported_at__lt=end
    ).count()


def report_missing_school(convention, text, ip_address):
    """Tell staff of a school the mairie cannot find; never creates a school."""
    with transaction.atomic():
        convention = locked_draft(convention.pk)
        if reports_today(convention) >= MISSING_SCHOOL_REPORTS_PER_DAY:
            raise ValidationError(
                "Vous avez déjà signalé %(count)s écoles manquantes aujourd'hui pour cette "
                "convention : le service ENT-École vous recontactera. Réessayez demain si "
                "besoin.",
                code="too_many_reports",
                params={"count": MISSING_SCHOOL_REPORTS_PER_DAY},
            )
        report = MissingSchoolReport.objects.create(
            convention=convention, text=text, ip_address=ip_address or None
        )
        notify_staff(
            f"École manquante signalée – {convention.commune.name} {convention.school_year}",
            "conventions/email/missing_school.txt",
            {"convention": convention, "report": report},
        )
    return report
