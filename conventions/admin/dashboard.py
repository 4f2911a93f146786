"""The campaign dashboard (/admin/tableau-de-bord/) and its XLSX export."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import number_format

from conventions import dashboard
from conventions.dashboard_charts import funnel_chart, signatures_chart
from conventions.dashboard_export import workbook_bytes

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


def changelist_url(model, figures, school_year, **filters):
    year_key, academie_key, departement_key = SCOPES[model]
    params = {}
    if year_key:
        params[year_key] = school_year.pk
    if figures.departement is not None:
        params[departement_key] = figures.departement.pk
    elif figures.academie is not None:
        params[academie_key] = figures.academie.pk
    params.update(filters)
    return f"{reverse(CHANGELISTS[model])}?{urlencode(params)}"


def percent(fraction):
    if fraction is None:
        return "—"
    return f"{number_format(fraction * 100, decimal_pos=1, use_l10n=True)}\N{NO-BREAK SPACE}%"


def row_cells(figures, school_year, user):
    """What a row shows: each figure with the list of the rows it counts; no link for a zero
    (an empty list) nor to a list the user may not open."""

    def link(count, model, permission, **filters):
        if not count or not user.has_perm(permission):
            return None
        return changelist_url(model, figures, school_year, **filters)

    conventions, titres = "conventions.view_convention", "conventions.view_titre"
    statuses = [
        {
            "status": status,
            "count": figures.by_status[status],
            "url": link(figures.by_status[status], "convention", conventions, statut=status),
        }
        for status in dashboard.STATUSES
    ]
    return {
        "figures": figures,
        "statuses": statuses,
        "live": link(
            figures.live_count, "convention", conventions, status__in=",".join(dashboard.FUNNEL)
        ),
        "enrolled": link(figures.enrolled, "enrollment", conventions, active__exact=1),
        "open_public": link(
            figures.open_public,
            "school",
            "schools.view_school",
            sector__exact="public",
            status__in=",".join(dashboard.OPEN_SCHOOL_STATUSES),
        ),
        "coverage": percent(figures.coverage),
        "expected": link(
            figures.issued_count,
            "convention",
            conventions,
            status__in=",".join(dashboard.ISSUED_STATUSES),
        ),
        "invoiced": link(
            figures.invoiced_count,
            "titre",
            titres,
            status__in=",".join(dashboard.INVOICED_TITRE_STATUSES),
        ),
        "paid": link(figures.paid_count, "titre", titres, status__exact="paye"),
        "due": link(figures.due_count, "titre", titres, status__exact="emis"),
    }


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
        campaign = dashboard.campaign(year)
        user = request.user
        context.update(
            campaign=campaign,
            academies=[
                {
                    "total": row_cells(academy.total, year, user),
                    "departements": [row_cells(f, year, user) for f in academy.departements],
                }
                for academy in campaign.academies
            ],
            total=row_cells(campaign.total, year, user),
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
        workbook_bytes(dashboard.campaign(year)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="tableau-de-bord-{year.label}.xlsx"'
    return response
