"""The campaign dashboard (/admin/tableau-de-bord/) and its XLSX export."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import number_format

from communes.scope import scope_for
from conventions import dashboard
from conventions.dashboard_charts import funnel_chart, signatures_chart
from conventions.dashboard_export import workbook_bytes
from conventions.templatetags.money import euros

# For each list the dashboard opens: the lookups of the year, of an académie and of a
# département (each allowed by that admin's list_filter, or a field of its own model).
SCOPES = {
    "convention": (
        "school_year__id__exact",
        "academie__id__exact",
        "commune__departement__id__exact",
    ),
    "enrollment": (
        "school_year__id__exact",
        "school__commune__departement__academie__id__exact",
        "school__commune__departement__id__exact",
    ),
    "school": (
        None,
        "commune__departement__academie__id__exact",
        "commune__departement__id__exact",
    ),
    "titre": (
        "convention__school_year__id__exact",
        "academie__id__exact",
        "convention__commune__departement__id__exact",
    ),
}

CHANGELISTS = {
    "convention": "admin:conventions_convention_changelist",
    "enrollment": "admin:conventions_enrollment_changelist",
    "school": "admin:schools_school_changelist",
    "titre": "admin:conventions_titre_changelist",
}


class Links:
    """The changelist URLs of one page: each list's path resolved once, not per figure."""

    def __init__(self, school_year, user):
        self.school_year = school_year
        self.user = user
        self.paths = {model: reverse(name) for model, name in CHANGELISTS.items()}

    def url(self, model, figures, **filters):
        year_key, academie_key, departement_key = SCOPES[model]
        params = {}
        if year_key:
            params[year_key] = self.school_year.pk
        if figures.departement is not None:
            params[departement_key] = figures.departement.pk
        elif figures.academie is not None:
            params[academie_key] = figures.academie.pk
        params.update(filters)
        return f"{self.paths[model]}?{urlencode(params)}"

    def cell(self, value, count, model, permission, figures, **filters):
        """A figure, with the list of the rows it counts; no link for a zero (an empty
        list) nor to a list the user may not open."""
        url = None
        if count and self.user.has_perm(permission):
            url = self.url(model, figures, **filters)
        return {"value": value, "url": url}


def percent(fraction):
    if fraction is None:
        return "—"
    return f"{number_format(fraction * 100, decimal_pos=1, use_l10n=True)}\N{NO-BREAK SPACE}%"


CONVENTIONS, TITRES = "conventions.view_convention", "conventions.view_titre"


def status_cells(figures, links):
    cells = [
        links.cell(count, count, "convention", CONVENTIONS, figures, statut=status)
        for status, count in ((s, figures.by_status[s]) for s in dashboard.STATUSES)
    ]
    live = figures.live_count
    funnel = ",".join(dashboard.FUNNEL)
    cells.append(links.cell(live, live, "convention", CONVENTIONS, figures, status__in=funnel))
    return cells


def money_cells(figures, links):
    f = figures
    return [
        links.cell(f.enrolled, f.enrolled, "enrollment", CONVENTIONS, f, active__exact=1),
        links.cell(
            f.open_public,
            f.open_public,
            "school",
            "schools.view_school",
            f,
            sector__exact="public",
            status__in=",".join(dashboard.OPEN_SCHOOL_STATUSES),
        ),
        {"value": percent(f.coverage), "url": None},
        links.cell(
            euros(f.expected),
            f.issued_count,
            "convention",
            CONVENTIONS,
            f,
            status__in=",".join(dashboard.ISSUED_STATUSES),
        ),
        links.cell(
            euros(f.invoiced),
            f.invoiced_count,
            "titre",
            TITRES,
            f,
            status__in=",".join(dashboard.INVOICED_TITRE_STATUSES),
        ),
        links.cell(
            euros(f.paid),
            f.paid_count,
            "titre",
            TITRES,
            f,
            status__in=",".join(dashboard.PAID_TITRE_STATUSES),
        ),
        links.cell(
            euros(f.due),
            f.due_count,
            "titre",
            TITRES,
            f,
            status__in=",".join(dashboard.DUE_TITRE_STATUSES),
        ),
    ]


def table_rows(campaign, links):
    """The rows of both tables, in order: each académie's total, then its départements."""
    rows = []
    for academy in campaign.academies:
        for kind, figures in [
            ("academie", academy.total),
            *(("departement", f) for f in academy.departements),
        ]:
            rows.append(
                {
                    "kind": kind,
                    "label": figures.label,
                    "statuses": status_cells(figures, links),
                    "money": money_cells(figures, links),
                }
            )
    return rows


def check_permission(request):
    # admin_view() already sent anyone who is not staff to the login page.
    if not request.user.has_perm("conventions.view_convention"):
        raise PermissionDenied


def chosen_year(request, years):
    label = request.GET.get("annee")
    if label:
        for year in years:
            if year.label == label:
                return year
        messages.error(
            request,
            f"Année scolaire inconnue : « {label[:20]} ». Le tableau de bord montre la "
            "dernière année qui a des conventions.",
        )
    return dashboard.default_year(years)


def campaign_dashboard(request):
    check_permission(request)
    years = dashboard.school_years()
    year = chosen_year(request, years)
    context = {
        **admin.site.each_context(request),
        "title": "Tableau de bord de la campagne",
        "years": years,
        "year": year,
    }
    if year is not None:
        campaign = dashboard.campaign(year, scope_for(request.user))
        links = Links(year, request.user)
        context.update(
            campaign=campaign,
            rows=table_rows(campaign, links),
            total={
                "statuses": status_cells(campaign.total, links),
                "money": money_cells(campaign.total, links),
            },
            statuses=[(s, s.label) for s in dashboard.STATUSES],
            funnel=funnel_chart(campaign.total),
            signatures=signatures_chart(campaign.weeks),
        )
    return TemplateResponse(request, "admin/conventions/dashboard.html", context)


def campaign_dashboard_xlsx(request):
    check_permission(request)
    years = dashboard.school_years()
    year = chosen_year(request, years)
    if year is None:
        raise Http404("Aucune année scolaire n'est enregistrée.")
    response = HttpResponse(
        workbook_bytes(dashboard.campaign(year, scope_for(request.user))),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="tableau-de-bord-{year.label}.xlsx"'
    return response
