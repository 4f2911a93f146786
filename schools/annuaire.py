"""Schools from the ministry's open dataset "Annuaire de l'éducation" (fr-en-annuaire-education).

One code path for the command line (`import_annuaire`) and the admin import: `import_annuaire()`
reads the file twice as a stream through `schools.annuaire_file` (first to validate every row,
then to write in batches), so memory does not grow with the file, and returns an
`AnnuaireReport`.
"""

from itertools import batched

from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from communes import journal
from communes.french import counted
from communes.history import bulk_create_audited, bulk_update_audited
from communes.import_files import ImportFileError
from communes.models import Academie, Commune, Departement
from schools.annuaire_file import (  # noqa: F401 (re-exported for the admin and the tests)
    BATCH_SIZE,
    REQUIRED_COLUMNS,
    SCHOOL_FIELDS,
    SKIP_NOT_SCHOOL,
    SKIP_OTHER_ACADEMIE,
    AnnuaireReader,
    AnnuaireReport,
    Reference,
    school_rows,
)
from schools.enums import SchoolStatus
from schools.models import School

# Sent once an import has written its schools (bulk writes send no post_save).
annuaire_imported = Signal()


def import_annuaire(
    path, *, file_name=None, dry_run=False, skip_invalid=False, complete=False, progress=None
):
    """Validate the whole file, then (unless refused or dry run) upsert its schools.

    `complete` says the file is the full export of the académies it covers: their schools
    missing from it are closed. `progress(bytes)` is called as the file is read (twice).
    """
    reader = AnnuaireReader(path, file_name)
    report = AnnuaireReport(file_name=reader.file_name, dry_run=dry_run, complete=complete)
    reference = Reference()
    seen = set()
    covered = set()
    try:
        for row in school_rows(reader, reference, report, progress):
            seen.add(row.uai)
            covered.add(row.academie)
        report.academies = sorted(covered)
        if report.errors and not skip_invalid:
            report.fatal = (
                f"{counted(len(report.errors), 'ligne invalide', 'lignes invalides')}, "
                "rien n'a été enregistré "
                "(relancez avec « ignorer les lignes invalides » pour importer les autres) :\n"
                + "\n".join(report.error_messages())
            )
            return report
        with transaction.atomic():
            rows = school_rows(reader, reference, report, progress, collect=False)
            apply_rows(rows, reference, report, dry_run)
            if complete:
                close_missing(seen, covered, report, dry_run)
            report.affected_conventions = affected_conventions(report)
            # Logged when it changed something: a rerun of the same file writes nothing.
            if not dry_run and (report.created or report.updated or report.closed):
                journal.record(
                    journal.JournalEvent.IMPORT_ANNUAIRE,
                    file=report.file_name,
                    created=len(report.created),
                    updated=len(report.updated),
                    closed=len(report.closed),
                    unchanged=report.unchanged,
                    complete=complete,
                )
            if not dry_run:
                # Bulk writes send no post_save: say once that the schools changed.
                transaction.on_commit(lambda: annuaire_imported.send(sender=AnnuaireReport))
    except ImportFileError as error:
        report.fatal = str(error)
    return report


def create_communes(batch, reference, report, dry_run):
    new = {}
    for row in batch:
        if row.insee_code not in reference.commune_ids and row.insee_code not in new:
            new[row.insee_code] = row
    if not new:
        return
    report.communes_created.extend(
        f"{row.commune_name} ({row.insee_code})" for row in new.values()
    )
    if dry_run:
        # Placeholders no existing commune has, so their schools count as created or moved.
        for number, insee_code in enumerate(new, start=len(reference.commune_ids) + 1):
            reference.commune_ids[insee_code] = -number
        return
    for row in new.values():
        if row.departement not in reference.departement_ids:
            departement = Departement.objects.create(
                code=row.departement,
                name=row.departement_name or row.departement,
                academie=Academie.objects.get(code=row.academie),
            )
            reference.departement_ids[row.departement] = departement.pk
            reference.departements[row.departement] = row.academie
            report.departements_created.append(str(departement))
    communes = Commune.objects.bulk_create(
        [
            Commune(
                insee_code=row.insee_code,
                name=row.commune_name,
                search_name=Commune.normalize_name(row.commune_name),
                postal_code=row.postal_code,
                departement_id=reference.departement_ids[row.departement],
            )
            for row in new.values()
        ]
    )
    reference.commune_ids.update((commune.insee_code, commune.pk) for commune in communes)


def apply_rows(rows, reference, report, dry_run):
    now = timezone.now()
    for batch in batched(rows, BATCH_SIZE):
        existing = {
            school.uai: school
            for school in School.objects.filter(uai__in=[row.uai for row in batch]).only(
                "id", "uai", *SCHOOL_FIELDS
            )
        }
        create_communes(batch, reference, report, dry_run)
        to_create, to_update = [], []
        for row in batch:
            values = {
                "name": row.name,
                "kind": row.kind,
                "sector": row.sector,
                "status": row.status,
                "commune_id": reference.commune_ids[row.insee_code],
                "address": row.address,
            }
            school = existing.get(row.uai)
            if school is None:
                to_create.append(School(uai=row.uai, updated_at=now, **values))
                report.created.append((row.uai, row.name))
                continue
            changed = [
                name
                for name in SCHOOL_FIELDS
                if getattr(school, "commune_id" if name == "commune" else name)
                != values["commune_id" if name == "commune" else name]
            ]
            if not changed:
                report.unchanged += 1
                continue
            if "commune" in changed:
                report.moved_ids.append(school.pk)
            for name, value in values.items():
                setattr(school, name, value)
            school.updated_at = now
            to_update.append(school)
            report.updated.append((row.uai, row.name, changed))
        if not dry_run:
            # With their history rows: the ORM's bulk methods alone would leave no trace.
            bulk_create_audited(School, to_create, batch_size=BATCH_SIZE)
            if to_update:
                bulk_update_audited(
                    School, to_update, [*SCHOOL_FIELDS, "updated_at"], batch_size=500
                )


def close_missing(seen, covered, report, dry_run):
    if report.errors:
        # An invalid row may be a school that is still open (its UAI may be the damaged
        # value): closing on a partial picture would close it.
        report.closure_skipped = (
            "Aucune école n'a été fermée : le fichier contient des lignes invalides, "
            "l'import n'est donc pas complet."
        )
        return
    missing = [
        (pk, uai, name)
        for pk, uai, name in School.objects.filter(
            commune__departement__academie__code__in=covered
        )
        .exclude(status=SchoolStatus.FERME)
        .values_list("id", "uai", "name")
        .iterator(chunk_size=BATCH_SIZE)
        if uai not in seen
    ]
    report.closed = [(uai, name) for _, uai, name in missing]
    report.closed_ids = [pk for pk, _, _ in missing]
    if not dry_run:
        now = timezone.now()
        for start in range(0, len(report.closed_ids), BATCH_SIZE):
            schools = list(
                School.objects.filter(pk__in=report.closed_ids[start : start + BATCH_SIZE])
            )
            for school in schools:
                school.status, school.updated_at = SchoolStatus.FERME, now
            bulk_update_audited(School, schools, ["status", "updated_at"], batch_size=500)


def affected_conventions(report):
    # Reached through School's reverse relation so that schools does not import conventions;
    # "open" school years are those not yet ended (no end date, or one still to come).
    ids = [*report.moved_ids, *report.closed_ids]
    if not ids:
        return []
    today = timezone.localdate()
    rows = (
        School.objects.filter(pk__in=ids, conventions__isnull=False)
        .filter(
            Q(conventions__school_year__end_date__isnull=True)
            | Q(conventions__school_year__end_date__gte=today)
        )
        .values_list(
            "uai",
            "name",
            "conventions__collectivite__name",
            "conventions__commune__name",
            "conventions__school_year__label",
            "conventions__status",
        )
        .order_by("conventions__school_year__label", "conventions__commune__name", "uai")
        .distinct()
    )
    closed = {uai for uai, _ in report.closed}
    return [
        f"{year} – {collectivite} ({commune}, statut {status}) : école {uai} {name} "
        + ("fermée" if uai in closed else "changée de commune")
        for uai, name, collectivite, commune, year, status in rows
    ]
