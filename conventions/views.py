from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from communes.models import Commune
from conventions.enums import ConventionStatus
from conventions.fees import Fee
from conventions.forms import SignedCopyForm, SimulatorForm
from conventions.models import Convention, SchoolYear, Tariff, hash_access_token
from conventions.models.reference import current_school_year_label
from conventions.portal_cache import render_convention_page, render_public_page
from conventions.ratelimit import limit_per_ip
from conventions.signed_copies import receive_signed_copy
from schools.enums import SchoolStatus, Sector
from schools.models import School

SIMULATOR_MAX_RESULTS = 20
PORTAL_TEMPLATE = "conventions/portal/convention.html"


@require_GET
def home(request):
    return render_public_page(request, "conventions/portal/home.html", home_context)


def home_context():
    # The rates of the latest year begun that has any, to illustrate the computation: never
    # those of a campaign staff are preparing for next year.
    year = SchoolYear.objects.started().with_tariff().first()
    tariffs = (
        list(
            Tariff.objects.filter(school_year=year)
            .select_related("school_year", "academie")
            .order_by("academie__name")
        )
        if year
        else []
    )
    return {
        "tariffs": tariffs,
        "example": Fee(school_count=4, rate=tariffs[0].rate) if tariffs else None,
    }


@require_GET
def simulator(request):
    return render_public_page(
        request, "conventions/portal/simulator.html", lambda: simulator_context(request)
    )


def simulator_years():
    """The years a visitor may simulate, latest first, and the one chosen by default.

    The years begun, and a year to come once it has a rate (staff prepare a campaign
    months ahead). By default the latest year begun that has a rate.
    """
    current = current_school_year_label()
    years = list(
        SchoolYear.objects.annotate(
            has_tariff=Exists(Tariff.objects.filter(school_year=OuterRef("pk")))
        ).filter(Q(label__lte=current) | Q(has_tariff=True))
    )
    begun = [year for year in years if year.label <= current]
    default = next((year for year in begun if year.has_tariff), begun[0] if begun else None)
    return years, default or (years[0] if years else None)


def simulator_context(request):
    years, default = simulator_years()
    data = request.GET.copy()
    if "school_year" not in data and default:
        data["school_year"] = default.label
    form = SimulatorForm(data, school_years=years)
    context = {"form": form}
    if form.is_valid() and form.cleaned_data["q"]:
        school_year = form.cleaned_data["school_year"]
        query = form.cleaned_data["q"]
        # The indexed prefix search first; the substring scan only when it finds nothing.
        communes = first_communes(Commune.objects.search(query)) or first_communes(
            Commune.objects.search_anywhere(query)
        )
        context["truncated"] = len(communes) > SIMULATOR_MAX_RESULTS
        communes = communes[:SIMULATOR_MAX_RESULTS]
        selected = request.GET.get("commune")
        if selected:
            chosen = next((c for c in communes if c.insee_code == selected), None)
        else:
            chosen = communes[0] if len(communes) == 1 else None
        if chosen is not None:
            context["result"] = simulate(
                chosen, school_year, include_private=form.cleaned_data["prive"]
            )
        context["communes"] = communes
        context["school_year"] = school_year
    return context


def first_communes(queryset):
    return list(
        queryset.select_related("departement__academie").order_by("search_name", "insee_code")[
            : SIMULATOR_MAX_RESULTS + 1
        ]
    )


def simulate(commune, school_year, *, include_private=False):
    academie = commune.departement.academie
    schools = list(
        School.objects.filter(commune=commune, status=SchoolStatus.OUVERT)
        .select_related("commune__departement")
        .order_by("name")
    )
    # As a convention counts: public schools; a private one only if the collectivité
    # chooses to enrol it, hence listed apart and counted on request.
    public = [school for school in schools if school.sector == Sector.PUBLIC]
    private = [school for school in schools if school.sector != Sector.PUBLIC]
    counted = len(public) + (len(private) if include_private else 0)
    rate = (
        Tariff.objects.filter(school_year=school_year, academie=academie)
        .values_list("rate", flat=True)
        .first()
    )
    return {
        "commune": commune,
        "academie": academie,
        "schools": public,
        "private_schools": private,
        "include_private": include_private,
        "fee": Fee(school_count=counted, rate=rate) if rate is not None else None,
    }


# What the private page shows of the related rows (portal_cache keys the page on them).
PORTAL_RELATED_FIELDS = (
    "collectivite__name",
    "commune__name",
    "commune__insee_code",
    "commune__departement__code",
    "school_year__label",
    "academie__name",
    "academie__code",
    "academie__contact_address",
    "academie__contact_email",
    "academie__contact_phone",
)


def get_convention(token):
    """The convention a private link opens, or None when the link does not (or no longer)
    work. Every column of the convention, only the names of its related rows: fewer columns
    to build and read on each view."""
    found = list(
        Convention.objects.with_access_token(token)
        .select_related("collectivite", "commune__departement", "school_year", "academie")
        .only(*(field.name for field in Convention._meta.concrete_fields), *PORTAL_RELATED_FIELDS)
        # Whether a replacement was opened: the cancelled page says a new one will come.
        .annotate(has_replacement=Exists(Convention.objects.filter(replaces=OuterRef("pk"))))
        .order_by()[:1]
    )
    return found[0] if found else None


def link_unavailable(request):
    # Rendered here rather than through Http404, so that the mairie reads what to do even
    # with DEBUG on (Django's debug 404 page otherwise).
    return render(
        request,
        "conventions/portal/unavailable.html",
        {"link_expired": True, "contact_email": settings.PORTAL_CONTACT_EMAIL},
        status=404,
    )


def convention_gone(request):
    return render(
        request,
        "conventions/portal/unavailable.html",
        {"cancelled": True, "contact_email": settings.PORTAL_CONTACT_EMAIL},
        status=410,
    )


@never_cache
@limit_per_ip("portal")
@require_http_methods(["GET", "POST"])
def portal(request, token):
    convention = get_convention(token)
    if convention is None:
        # A draft's link asks the mairie to confirm its schools first.
        draft = Convention.objects.filter(
            access_token_hash=hash_access_token(token), status=ConventionStatus.BROUILLON
        )
        if draft.exists():
            return redirect("conventions:confirm", token=token)
        return link_unavailable(request)
    # Before rendering: the cached page is keyed on the row as it now stands.
    convention.record_first("link_opened_at")
    accepts_copy = convention.can_receive_signed_copy() or convention.can_replace_signed_copy()
    if request.method == "POST" and accepts_copy:
        form = SignedCopyForm(request.POST, request.FILES, convention=convention)
        if form.is_valid():
            try:
                receive_signed_copy(convention, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect(f"{request.path}?depot=ok")
    else:
        form = None
    context = {
        "can_upload": convention.can_receive_signed_copy(),
        "can_replace": convention.can_replace_signed_copy(),
        "just_uploaded": request.GET.get("depot") == "ok",
        "is_cancelled": convention.status == ConventionStatus.ANNULEE,
        # Say that staff were told only when someone was.
        "staff_notified": bool(settings.STAFF_NOTIFICATION_EMAILS),
        "academie": convention.academie,
        # Once invoiced, what the mairie owes: the titre changes apart from the convention's
        # row, hence in the cache's variant below.
        "titre": (
            convention.live_titre() if convention.status == ConventionStatus.FACTUREE else None
        ),
    }
    titre = context["titre"]
    titre_state = (
        (
            titre.number,
            titre.status,
            titre.amount,
            titre.issue_date,
            titre.paid_on,
            titre.amount_paid,
        )
        if titre
        else None
    )
    if form is None:
        # The unbound page only depends on the convention's state: rendered once per state.
        return render_convention_page(
            request,
            PORTAL_TEMPLATE,
            convention,
            lambda: {**context, "form": SignedCopyForm(convention=convention)},
            variant=(context["just_uploaded"], context["staff_notified"], titre_state),
        )
    return render(request, PORTAL_TEMPLATE, {**context, "convention": convention, "form": form})


def convention_for_download(token, *fields):
    # Only what the download needs: the widest query costs more than the file itself.
    return (
        Convention.objects.with_access_token(token)
        .select_related("commune", "school_year")
        .only("status", *fields, "commune__name", "school_year__label")
        .order_by()
        .first()
    )


@never_cache
@limit_per_ip("portal")
@require_GET
def portal_pdf(request, token):
    convention = convention_for_download(token, "pdf", "link_opened_at", "pdf_downloaded_at")
    if convention is None or not convention.pdf:
        return link_unavailable(request)
    if convention.status == ConventionStatus.ANNULEE:
        # A cancelled document must not be signed: no longer served.
        return convention_gone(request)
    # The file is the page's whole point: fetched straight away, the link was opened too.
    convention.record_first("link_opened_at")
    convention.record_first("pdf_downloaded_at")
    return FileResponse(
        convention.pdf.open("rb"),
        as_attachment=True,
        filename=convention.portal_filename(),
        content_type="application/pdf",
    )


@never_cache
@limit_per_ip("portal")
@require_GET
def portal_signed_pdf(request, token):
    convention = convention_for_download(token, "signed_pdf")
    if convention is None or not convention.signed_pdf:
        return link_unavailable(request)
    if convention.status == ConventionStatus.ANNULEE:
        return convention_gone(request)
    return FileResponse(
        convention.signed_pdf.open("rb"),
        as_attachment=True,
        filename=convention.portal_filename().removesuffix(".pdf") + "-signee.pdf",
        content_type="application/pdf",
    )
