"""The campaign dashboard's figures for one school year.

A fixed handful of aggregate queries (GROUP BY département) whatever the number of
conventions, enrollments or titres; the académies' and the region's totals are sums of their
départements' rows, so that every total equals the rows under it.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DateField, Exists, FilteredRelation, OuterRef, Q, Sum
from django.db.models.functions import TruncWeek

from communes.models import Departement
from conventions.enums import ConventionStatus, TitreStatus
from conventions.models import Convention, SchoolYear, Titre
from schools.enums import SchoolStatus, Sector
from schools.models import School

S = ConventionStatus
# The campaign's stages in order; a cancelled convention is counted apart.
FUNNEL = [S.BROUILLON, S.EMISE, S.ENVOYEE, S.SIGNEE_COLLECTIVITE, S.SIGNEE_ACADEMIE, S.FACTUREE]
STATUSES = [*FUNNEL, S.ANNULEE]
# Issued and still standing: their frozen amounts are what the campaign expects.
ISSUED_STATUSES = FUNNEL[1:]
# Titres sent to the treasury (paid or not): what has been invoiced.
INVOICED_TITRE_STATUSES = [TitreStatus.EMIS, TitreStatus.PARTIEL, TitreStatus.PAYE]
# Titres that have received money, and titres with money still due (a partial payment is both).
PAID_TITRE_STATUSES = [TitreStatus.PARTIEL, TitreStatus.PAYE]
DUE_TITRE_STATUSES = [TitreStatus.EMIS, TitreStatus.PARTIEL]
OPEN_SCHOOL_STATUSES = [SchoolStatus.OUVERT, SchoolStatus.A_FERMER]
ZERO = Decimal("0.00")


def money(value):
    # SQLite sums decimals as floats ("160.100000000000"): back to cents, once.
    return ZERO if value is None else Decimal(value).quantize(ZERO)


@dataclass
class Figures:
    """One row of the dashboard: a département, an académie or the region."""

    academie: object = None
    departement: object = None
    by_status: dict = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    enrolled: int = 0
    enrolled_public_open: int = 0
    open_public: int = 0
    expected: Decimal = ZERO
    invoiced: Decimal = ZERO
    invoiced_count: int = 0
    paid: Decimal = ZERO
    paid_count: int = 0
    due: Decimal = ZERO
    due_count: int = 0

    NUMBERS = (
        "enrolled",
        "enrolled_public_open",
        "open_public",
        "expected",
        "invoiced",
        "invoiced_count",
        "paid",
        "paid_count",
        "due",
        "due_count",
    )

    def add(self, other):
        for status in STATUSES:
            self.by_status[status] += other.by_status[status]
        for name in self.NUMBERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def label(self):
        if self.departement is not None:
            return str(self.departement)
        if self.academie is not None:
            return f"Académie de {self.academie.name}"
        return "Total"

    @property
    def issued_count(self):
        return sum(self.by_status[status] for status in ISSUED_STATUSES)

    @property
    def live_count(self):
        return sum(self.by_status[status] for status in FUNNEL)

    @property
    def coverage(self):
        """Share of the open public schools enrolled, as a fraction (None without any)."""
        if not self.open_public:
            return None
        return Decimal(self.enrolled_public_open) / Decimal(self.open_public)


@dataclass
class Academy:
    total: Figures
    departements: list


@dataclass
class Campaign:
    school_year: SchoolYear
    academies: list
    total: Figures
    weeks: list  # [(monday, signed by the collectivité, signed by the académie)]


def school_years():
    """Every school year, newest first, each knowing whether it has conventions."""
    return list(
        SchoolYear.objects.annotate(
            has_conventions=Exists(Convention.objects.filter(school_year=OuterRef("pk")))
        ).order_by("-label")
    )


def default_year(years):
    return next((year for year in years if year.has_conventions), years[0] if years else None)


def within(queryset, path, academies):
    """The rows of the académies an agent works on (None: every académie)."""
    return queryset if academies is None else queryset.filter(**{f"{path}__in": academies})


def campaign(school_year, academies=None):
    """The year's figures; academies, from communes.scope.scope_for(), limits them."""
    rows = {
        departement.pk: Figures(academie=departement.academie, departement=departement)
        for departement in within(
            Departement.objects.select_related("academie"), "academie", academies
        ).order_by("academie__name", "code")
    }

    def row(departement_id):
        # A département added between two queries has no row yet: it gets one, at the end.
        if departement_id not in rows:
            departement = Departement.objects.select_related("academie").get(pk=departement_id)
            rows[departement_id] = Figures(academie=departement.academie, departement=departement)
        return rows[departement_id]

    conventions = (
        within(Convention.objects, "academie", academies)
        .filter(school_year=school_year)
        .values("commune__departement", "status")
        .annotate(count=Count("pk"), amount=Sum("issued_amount"))
        .order_by()
    )
    for line in conventions:
        figures = row(line["commune__departement"])
        figures.by_status[S(line["status"])] = line["count"]
        if line["status"] in ISSUED_STATUSES:
            figures.expected += money(line["amount"])

    # One pass over the schools: the public open ones, and those enrolled this year (at most
    # one live enrollment per school and year, so the join adds no row).
    public_open = Q(sector=Sector.PUBLIC, status__in=OPEN_SCHOOL_STATUSES)
    schools = (
        within(School.objects, "commune__departement__academie", academies)
        .annotate(
            this_year=FilteredRelation(
                "enrollments",
                condition=Q(enrollments__school_year=school_year, enrollments__active=True),
            )
        )
        .values("commune__departement")
        .annotate(
            open_public=Count("pk", filter=public_open),
            enrolled=Count("this_year"),
            enrolled_public_open=Count("this_year", filter=public_open),
        )
        .order_by()
    )
    for line in schools:
        figures = row(line["commune__departement"])
        figures.open_public = line["open_public"]
        figures.enrolled = line["enrolled"]
        figures.enrolled_public_open = line["enrolled_public_open"]

    titres = (
        within(Titre.objects, "convention__academie", academies)
        .filter(convention__school_year=school_year, status__in=INVOICED_TITRE_STATUSES)
        .values("convention__commune__departement", "status")
        .annotate(count=Count("pk"), amount=Sum("amount"), paid=Sum("amount_paid"))
        .order_by()
    )
    for line in titres:
        figures = row(line["convention__commune__departement"])
        figures.invoiced += money(line["amount"])
        figures.invoiced_count += line["count"]
        if line["status"] in PAID_TITRE_STATUSES:
            figures.paid += money(line["paid"])
            figures.paid_count += line["count"]
        if line["status"] in DUE_TITRE_STATUSES:
            # Partial payments never exceed their titre (a payment reaching it settles it).
            figures.due += money(line["amount"]) - money(line["paid"])
            figures.due_count += line["count"]

    academies, total = {}, Figures()
    for figures in rows.values():
        academie = figures.academie
        if academie.pk not in academies:
            academies[academie.pk] = Academy(total=Figures(academie=academie), departements=[])
        academies[academie.pk].departements.append(figures)
        academies[academie.pk].total.add(figures)
        total.add(figures)
    return Campaign(
        school_year=school_year,
        academies=list(academies.values()),
        total=total,
        weeks=signature_weeks(school_year, academies),
    )


def signature_weeks(school_year, academies=None):
    """Signatures per week (Monday, Europe/Paris) from the first to the last signed one,
    weeks without any included."""
    live = (
        within(Convention.objects, "academie", academies)
        .filter(school_year=school_year)
        .exclude(status=S.ANNULEE)
    )
    counts = {}
    for index, date_field in enumerate(["signed_by_collectivite_at", "signed_by_academie_at"]):
        weeks = (
            live.exclude(**{date_field: None})
            .annotate(week=TruncWeek(date_field, output_field=DateField()))
            .values("week")
            .annotate(count=Count("pk"))
            .order_by()
        )
        for line in weeks:
            counts.setdefault(line["week"], [0, 0])[index] = line["count"]
    if not counts:
        return []
    monday, last = min(counts), max(counts)
    weeks = []
    while monday <= last:
        weeks.append((monday, *counts.get(monday, (0, 0))))
        monday += datetime.timedelta(weeks=1)
    return weeks
