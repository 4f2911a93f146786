"""The yearly campaign: last year's live conventions renewed as drafts for the next year."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from communes.french import counted, pluralize
from communes.models import Academie
from conventions.enums import ConventionStatus
from conventions.fees import Fee
from conventions.models import (
    Convention,
    ConventionTemplate,
    Enrollment,
    SchoolYear,
    Signatory,
    Tariff,
    validate_school_year_label,
)
from conventions.templatetags.money import euros
from schools.enums import SchoolStatus
from schools.models import School

# The school year starts with the rentrée: a campaign is prepared before it.
START_MONTH_DAY = (9, 1)


# What the plan and its report read of a convention and of an enrolled school.
CONVENTION_FIELDS = (
    "number",
    "collectivite",
    "school_year",
    "commune__name",
    "commune__insee_code",
    "academie__name",
    "academie__code",
)
ENROLLMENT_FIELDS = (
    "convention",
    "school",
    "school__name",
    "school__uai",
    "school__status",
    "school__commune__name",
    "school__commune__insee_code",
)


class RenewalRefused(ValidationError):
    """Bad input or missing reference data: nothing is written."""


def next_label(school_year):
    start = school_year.start_year + 1
    return f"{start}-{start + 1}"


def start_date(label):
    return datetime.date(int(label[:4]), *START_MONTH_DAY)


@dataclass
class Renewal:
    source: object  # the convention renewed
    schools: list  # kept, sorted by name
    fee: Fee | None  # None while the target year has no tariff

    @property
    def commune(self):
        return self.source.commune


@dataclass
class Plan:
    source_year: SchoolYear
    target_label: str
    target_year: SchoolYear | None
    academie: Academie | None = None
    academies: set = field(default_factory=set)  # of the conventions renewed or skipped
    missing: list = field(default_factory=list)  # in French, for the refusal
    renewals: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (convention, reason)
    dropped: list = field(default_factory=list)  # (convention, school, reason)
    to_propose: list = field(default_factory=list)  # (convention, school)
    created: list = field(default_factory=list)  # the new conventions, once written
    dry_run: bool = True

    @property
    def copyable(self):
        # What the admin may copy from last year: the year, a signatory, a text.
        return any(not item.startswith("le tarif") for item in self.missing)

    @property
    def school_count(self):
        return sum(len(renewal.schools) for renewal in self.renewals)

    def amounts(self):
        """[(académie, conventions, schools, amount or None)] in académie order."""
        totals = {}
        for renewal in self.renewals:
            academie = renewal.source.academie
            conventions, schools, amount = totals.get(academie, (0, 0, Decimal("0.00")))
            amount = None if amount is None or renewal.fee is None else amount + renewal.fee.amount
            totals[academie] = (conventions + 1, schools + len(renewal.schools), amount)
        return [
            (academie, *figures)
            for academie, figures in sorted(totals.items(), key=lambda item: item[0].name)
        ]

    def refusal(self):
        return RenewalRefused(
            "Campagne %(target)s impossible, rien n'a été créé. Il manque : %(missing)s.",
            code="missing_references",
            params={"target": self.target_label, "missing": " ; ".join(self.missing)},
        )


def check_input(source_label, target_label, academie_code=None, *, today=None):
    """The years and académie asked for, or RenewalRefused saying what is wrong."""
    for label in (source_label, target_label):
        try:
            validate_school_year_label(label)
        except ValidationError as error:
            raise RenewalRefused(error.messages[0], code="bad_year") from error
    if target_label <= source_label:
        raise RenewalRefused(
            "L'année cible %(target)s doit suivre l'année reconduite %(source)s "
            "(ex. --from 2026-2027 --to 2027-2028).",
            code="unordered_years",
            params={"target": target_label, "source": source_label},
        )
    source_year = SchoolYear.objects.filter(label=source_label).first()
    if source_year is None:
        raise RenewalRefused(
            "L'année scolaire %(label)s est inconnue : aucune convention à reconduire.",
            code="unknown_year",
            params={"label": source_label},
        )
    today = today or timezone.localdate()
    if today >= start_date(target_label):
        raise RenewalRefused(
            "L'année scolaire %(label)s a déjà commencé (rentrée du %(start)s) : sa campagne "
            "ne se prépare plus ; établissez les conventions une à une.",
            code="year_under_way",
            params={"label": target_label, "start": start_date(target_label).strftime("%d/%m/%Y")},
        )
    academie = None
    if academie_code:
        academie = Academie.objects.filter(code=academie_code).first()
        if academie is None:
            known = ", ".join(f"{a.code} ({a.name})" for a in Academie.objects.order_by("code"))
            raise RenewalRefused(
                "Académie « %(code)s » inconnue : indiquez %(known)s.",
                code="unknown_academie",
                params={"code": academie_code, "known": known or "aucune n'est définie"},
            )
    target_year = SchoolYear.objects.filter(label=target_label).first()
    return source_year, target_year, academie


def plan_renewal(source_year, target_label, target_year=None, academie=None):
    """What a run would create, skip, drop and propose; writes nothing.

    A fixed number of queries, whatever the number of conventions.
    """
    plan = Plan(source_year, target_label, target_year, academie)
    # Only what the report prints is loaded: a campaign reads thousands of rows.
    source_conventions = Convention.objects.active().filter(school_year=source_year)
    if academie:
        source_conventions = source_conventions.filter(academie=academie)
    sources = list(
        source_conventions.select_related("commune", "collectivite", "academie")
        .only(*CONVENTION_FIELDS, "collectivite__name")
        .order_by("academie__name", "commune__name")
    )
    if not sources:
        return plan

    live_in_target = {}
    target_conventions = Convention.objects.none()
    if target_year:
        target_conventions = Convention.objects.active().filter(school_year=target_year)
        for convention in target_conventions.select_related("commune", "academie").only(
            *CONVENTION_FIELDS, "status"
        ):
            convention.school_year = target_year
            live_in_target[convention.commune_id] = convention
    # The communes to renew: the rest are skipped, their schools need not be read.
    renewable = source_conventions.exclude(
        commune__in=target_conventions.values("commune")
    ).values("commune")

    source_schools = defaultdict(list)
    enrolled = Enrollment.objects.filter(
        active=True, convention__in=source_conventions, convention__commune__in=renewable
    )
    for enrollment in (
        enrolled.select_related("school__commune")
        .only(*ENROLLMENT_FIELDS)
        .order_by("school__name")
    ):
        source_schools[enrollment.convention_id].append(enrollment.school)

    open_schools = defaultdict(list)
    for school in (
        School.objects.open()
        .filter(commune__in=renewable)
        .select_related("commune")
        .only(*(name.removeprefix("school__") for name in ENROLLMENT_FIELDS[2:]))
        .order_by("name")
    ):
        open_schools[school.commune_id].append(school)

    taken_in_target = {}
    rates = {}
    if target_year:
        in_play = Q(school__in=enrolled.values("school")) | Q(school__commune__in=renewable)
        for enrollment in (
            Enrollment.objects.filter(in_play, school_year=target_year, active=True)
            .select_related("convention__commune", "convention__academie")
            .only("school", *(f"convention__{name}" for name in CONVENTION_FIELDS))
        ):
            enrollment.convention.school_year = target_year
            taken_in_target[enrollment.school_id] = enrollment.convention
        rates = dict(
            Tariff.objects.filter(school_year=target_year).values_list("academie", "rate")
        )

    for convention in sources:
        if existing := live_in_target.get(convention.commune_id):
            plan.skipped.append(
                (
                    convention,
                    f"a déjà une convention pour {target_label} ({existing.reference}, "
                    f"{existing.get_status_display()})",
                )
            )
            continue
        kept = []
        for school in source_schools[convention.pk]:
            if reason := drop_reason(convention, school, taken_in_target):
                plan.dropped.append((convention, school, reason))
            else:
                kept.append(school)
        enrolled_pks = {school.pk for school in source_schools[convention.pk]}
        plan.to_propose.extend(
            (convention, school)
            for school in open_schools[convention.commune_id]
            if school.pk not in enrolled_pks and school.pk not in taken_in_target
        )
        if not kept:
            plan.skipped.append((convention, "aucune école à reconduire"))
            continue
        rate = rates.get(convention.academie_id)
        fee = None if rate is None else Fee(school_count=len(kept), rate=rate)
        plan.renewals.append(Renewal(convention, kept, fee))

    plan.academies = {convention.academie for convention in sources}
    plan.missing = missing_references(source_year, target_label, target_year, plan.academies)
    return plan


def drop_reason(convention, school, taken_in_target):
    if school.status == SchoolStatus.FERME:
        return "fermée dans l'annuaire"
    if school.commune_id != convention.commune_id:
        return f"située désormais à {school.commune.name} ({school.commune.insee_code})"
    if other := taken_in_target.get(school.pk):
        return f"déjà inscrite dans la convention de {other.commune.name} ({other.reference})"
    return None


def missing_references(source_year, target_label, target_year, academies):
    """What the target year lacks, in French, for these académies."""
    if not academies:
        return []
    if target_year is None:
        return [
            f"l'année scolaire {target_label} (à créer dans « Années scolaires », ou depuis "
            f"« Préparer la campagne {target_label}… » sur l'année {source_year}), avec pour "
            + ", ".join(f"l'{academie}" for academie in sorted(academies, key=str))
            + " un tarif, un signataire et un modèle de convention"
        ]
    tariffs = set(
        Tariff.objects.filter(school_year=target_year).values_list("academie", flat=True)
    )
    signatories = set(
        Signatory.objects.filter(school_year=target_year).values_list("academie", flat=True)
    )
    texts = set(
        ConventionTemplate.objects.filter(school_year=target_year).values_list(
            "academie", flat=True
        )
    )
    missing = []
    for academie in sorted(academies, key=lambda a: a.name):
        if academie.pk not in tariffs:
            missing.append(f"le tarif {target_year} de l'{academie}")
        if academie.pk not in signatories:
            missing.append(f"le signataire {target_year} de l'{academie}")
        if academie.pk not in texts and None not in texts:
            missing.append(f"le modèle de convention {target_year} de l'{academie}")
    return missing


def renew(source_label, target_label, academie_code=None, *, dry_run=False, today=None):
    """Plan the campaign and, unless dry_run, create its drafts: all or nothing."""
    source_year, target_year, academie = check_input(
        source_label, target_label, academie_code, today=today
    )
    if dry_run or target_year is None:
        plan = plan_renewal(source_year, target_label, target_year, academie)
        if plan.missing:
            raise plan.refusal()
        return plan
    try:
        with transaction.atomic():
            # One campaign at a time for a year: a second run waits, then finds the drafts
            # of the first and skips them.
            SchoolYear.objects.select_for_update().filter(pk=target_year.pk).get()
            plan = plan_renewal(source_year, target_label, target_year, academie)
            if plan.missing:
                raise plan.refusal()
            plan.dry_run = False
            plan.created = write(plan)
    except IntegrityError as error:
        # A convention or enrollment made by hand meanwhile: the run is undone entirely.
        raise RenewalRefused(
            "Une convention ou une inscription %(target)s a été créée pendant la campagne : "
            "rien n'a été créé, relancez-la.",
            code="concurrent_change",
            params={"target": target_label},
        ) from error
    return plan


def write(plan):
    target = plan.target_year
    numbers = dict(
        Convention.objects.filter(
            school_year=target, commune__in=[r.commune.pk for r in plan.renewals]
        )
        .values("commune")
        .annotate(last=Max("number"))
        .values_list("commune", "last")
    )
    conventions = Convention.objects.bulk_create(
        Convention(
            collectivite_id=renewal.source.collectivite_id,
            commune_id=renewal.source.commune_id,
            school_year=target,
            academie_id=renewal.source.academie_id,
            number=numbers.get(renewal.source.commune_id, 0) + 1,
            status=ConventionStatus.BROUILLON,
            # Dated the day the campaign is prepared, as a new convention is: issuing
            # refuses an undated draft, and 2,400 of them are not dated by hand.
            document_date=timezone.localdate(),
        )
        for renewal in plan.renewals
    )
    Enrollment.objects.bulk_create(
        Enrollment(convention=convention, school=school, school_year=target)
        for convention, renewal in zip(conventions, plan.renewals, strict=True)
        for school in renewal.schools
    )
    return conventions


def copy_missing_references(source_year, target_label, academies):
    """Create the target year if needed, and copy from the source year the signatories and
    convention texts it lacks, for staff to edit. The tariff is never guessed.

    Returns the French names of what was created.
    """
    created = []
    with transaction.atomic():
        end_date = source_year.end_date
        if end_date:
            # Conventions end at the rentrée: the same day, a year on (29 February aside).
            years = int(target_label[:4]) - source_year.start_year
            end_date = end_date.replace(year=end_date.year + years, day=min(end_date.day, 28))
        target, new_year = SchoolYear.objects.get_or_create(
            label=target_label, defaults={"end_date": end_date}
        )
        if new_year:
            created.append(f"l'année scolaire {target}")
        for academie in sorted(academies, key=lambda a: a.name):
            has_signatory = Signatory.objects.filter(school_year=target, academie=academie)
            previous = Signatory.objects.filter(school_year=source_year, academie=academie).first()
            if previous and not has_signatory.exists():
                Signatory.objects.create(
                    school_year=target,
                    academie=academie,
                    name=previous.name,
                    title_lines=previous.title_lines,
                )
                created.append(f"le signataire {target} de l'{academie}")
            texts = ConventionTemplate.objects.filter(school_year=target)
            if texts.filter(Q(academie=academie) | Q(academie__isnull=True)).exists():
                continue
            # The académie's own text first, else the one for every académie.
            previous = sorted(
                ConventionTemplate.objects.filter(school_year=source_year).filter(
                    Q(academie=academie) | Q(academie__isnull=True)
                ),
                key=lambda text: text.academie_id is None,
            )[:1]
            if previous:
                text = previous[0]
                ConventionTemplate.objects.create(
                    school_year=target,
                    academie=text.academie,
                    name=text.name.replace(source_year.label, target.label),
                    body=text.body,
                )
                created.append(f"le modèle de convention {target} ({text.academie or 'toutes'})")
    return created


def report_lines(plan, *, list_created=True):
    """The report in French, line by line, as the command prints it."""
    year = plan.target_label
    if plan.dry_run:
        lines = [f"Campagne {year} depuis {plan.source_year} — simulation : rien n'a été écrit."]
    else:
        lines = [f"Campagne {year} depuis {plan.source_year}."]
    count = len(plan.renewals)
    created = "à créer" if plan.dry_run else f"créée{pluralize(count)} en brouillon"
    if not plan.renewals:
        skipped = len(plan.skipped)
        lines.append(
            f"Aucune convention à créer : rien n'a été créé ({counted(skipped, 'commune')} "
            f"ignorée{pluralize(skipped)})."
        )
    else:
        lines.append(
            f"{counted(count, 'convention')} {created}, {counted(plan.school_count, 'école')}."
        )
    for academie, conventions, schools, amount in plan.amounts():
        expected = "tarif manquant" if amount is None else euros(amount)
        lines.append(
            f"  Montant attendu, {academie} : {expected} "
            f"({counted(conventions, 'convention')}, {counted(schools, 'école')})"
        )
    if list_created and plan.renewals:
        lines.append(
            "Conventions à créer :" if plan.dry_run else "Conventions créées en brouillon :"
        )
        lines.extend(
            f"  - {r.commune.name} ({r.commune.insee_code}), {r.source.collectivite} : "
            f"{counted(len(r.schools), 'école')}" + (f", {euros(r.fee.amount)}" if r.fee else "")
            for r in plan.renewals
        )
    if plan.skipped:
        lines.append(f"Communes ignorées ({len(plan.skipped)}) :")
        lines.extend(
            f"  - {c.commune.name} ({c.commune.insee_code}) : {reason}"
            for c, reason in plan.skipped
        )
    if plan.dropped:
        lines.append(f"Écoles retirées ({len(plan.dropped)}) :")
        lines.extend(
            f"  - {c.commune.name} : {school.name} ({school.uai}), {reason}"
            for c, school, reason in plan.dropped
        )
    if plan.to_propose:
        lines.append(f"Écoles à proposer, non inscrites ({len(plan.to_propose)}) :")
        lines.extend(
            f"  - {c.commune.name} : {school.name} ({school.uai})" for c, school in plan.to_propose
        )
    return lines
