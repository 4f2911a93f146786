"""The campaign dashboard: figures to the cent, the lists its figures open, a query count that
does not grow with the campaign, the XLSX export and who may see it."""

import datetime
import html
import io
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection, reset_queries
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from conventions import dashboard
from conventions.enums import ConventionStatus, TitreStatus
from conventions.models import Titre
from conventions.templatetags.money import euros
from tests.factories import (
    AcademieFactory,
    CommuneFactory,
    ConventionFactory,
    DepartementFactory,
    SchoolFactory,
    SchoolYearFactory,
    enroll,
)
from tests.roles import PASSWORD, make_user

pytestmark = pytest.mark.django_db

S = ConventionStatus
URL = "/admin/tableau-de-bord/"
XLSX_URL = "/admin/tableau-de-bord/export.xlsx"
PARIS = datetime.timezone(datetime.timedelta(hours=2))
_titres = iter(range(1, 10_000))


def at(day, hour=10):
    return datetime.datetime(2027, 5, day, hour, tzinfo=PARIS)


def convention(commune, status, amount=None, school_count=1, year=None, **dates):
    made = ConventionFactory(
        commune=commune,
        school_year=year or SchoolYearFactory(),
        status=status,
        issued_amount=amount,
        issued_rate=Decimal("41.00") if amount is not None else None,
        issued_school_count=school_count if amount is not None else None,
        **dates,
    )
    enroll(made, school_count)
    return made


def titre(convention, status, amount, paid=None):
    sequence = next(_titres)
    return Titre.objects.create(
        convention=convention,
        academie=convention.academie,
        status=status,
        amount=amount,
        amount_paid=paid,
        school_count=1,
        rate=amount,
        exercice=2027,
        sequence=sequence,
        number=None if status == TitreStatus.A_EMETTRE else f"TP-2027-XX-{sequence:06d}",
    )


@pytest.fixture
def territory():
    toulouse = AcademieFactory(code="16", name="Toulouse", signing_city="Toulouse")
    montpellier = AcademieFactory(code="11", name="Montpellier", signing_city="Montpellier")
    haute_garonne = DepartementFactory(code="031", name="Haute-Garonne", academie=toulouse)
    tarn = DepartementFactory(code="081", name="Tarn", academie=toulouse)
    herault = DepartementFactory(code="034", name="Hérault", academie=montpellier)
    return {
        "toulouse": toulouse,
        "montpellier": montpellier,
        "031": CommuneFactory.create_batch(6, departement=haute_garonne),
        "081": CommuneFactory.create_batch(2, departement=tarn),
        "034": CommuneFactory.create_batch(3, departement=herault),
        "departements": {"031": haute_garonne, "081": tarn, "034": herault},
    }


@pytest.fixture
def campaign(territory):
    """2026-2027 in three départements: every status, titres émis, payés, annulé."""
    year = SchoolYearFactory(label="2026-2027")
    hg, tarn, herault = territory["031"], territory["081"], territory["034"]
    made = {
        "draft": convention(hg[0], S.BROUILLON, school_count=2),
        "issued": convention(hg[1], S.EMISE, Decimal("82.00"), 2),
        "sent": convention(hg[2], S.ENVOYEE, Decimal("41.00"), 1),
        "signed": convention(
            hg[3], S.SIGNEE_COLLECTIVITE, Decimal("123.00"), 3, signed_by_collectivite_at=at(4)
        ),
        "billed_paid": convention(
            hg[4],
            S.FACTUREE,
            Decimal("164.00"),
            4,
            signed_by_collectivite_at=at(5),
            signed_by_academie_at=at(12),
        ),
        "cancelled": convention(hg[5], S.ANNULEE, Decimal("41.00"), 1),
        "tarn_billed": convention(
            tarn[0],
            S.FACTUREE,
            Decimal("82.50"),
            2,
            signed_by_collectivite_at=at(20),
            signed_by_academie_at=at(21),
        ),
        "herault_academie": convention(
            herault[0],
            S.SIGNEE_ACADEMIE,
            Decimal("45.55"),
            1,
            signed_by_collectivite_at=at(19),
            signed_by_academie_at=at(26),
        ),
    }
    made["cancelled"].enrollments.update(active=False)
    # Paid in part: 3,90 € still due.
    titre(made["billed_paid"], TitreStatus.PARTIEL, Decimal("164.00"), paid=Decimal("160.10"))
    titre(made["tarn_billed"], TitreStatus.ANNULE, Decimal("82.50"))
    titre(made["tarn_billed"], TitreStatus.EMIS, Decimal("82.50"))
    titre(made["herault_academie"], TitreStatus.A_EMETTRE, Decimal("45.55"))
    # Open public schools beyond those enrolled; closed and private ones do not count.
    SchoolFactory.create_batch(4, commune=hg[0])
    SchoolFactory(commune=hg[0], status="a_fermer")
    SchoolFactory(commune=hg[0], status="ferme")
    SchoolFactory(commune=hg[0], sector="prive")
    SchoolFactory.create_batch(2, commune=herault[1])
    # Another year, which the figures of 2026-2027 never count.
    convention(hg[0], S.EMISE, Decimal("999.00"), 1, year=SchoolYearFactory(label="2025-2026"))
    made["year"] = year
    return made


def figures_of(result, code):
    for academy in result.academies:
        for figures in academy.departements:
            if figures.departement.code == code:
                return figures
    raise AssertionError(code)


def test_figures_per_departement_academie_and_region(campaign, territory):
    result = dashboard.campaign(campaign["year"])
    hg = figures_of(result, "031")
    assert [hg.by_status[s] for s in dashboard.STATUSES] == [1, 1, 1, 1, 0, 1, 1]
    assert hg.enrolled == 12  # 2 + 2 + 1 + 3 + 4, the cancelled one's school no longer
    # 12 enrolled + the cancelled convention's school, still open + 4 open + 1 "à fermer" +
    # the other year's school; the closed and the private one aside.
    assert hg.open_public == 12 + 1 + 4 + 1 + 1
    assert hg.expected == Decimal("410.00")  # 82 + 41 + 123 + 164
    assert (hg.invoiced, hg.paid, hg.due) == (
        Decimal("164.00"),
        Decimal("160.10"),
        Decimal("3.90"),
    )
    tarn = figures_of(result, "081")
    assert (tarn.expected, tarn.invoiced, tarn.paid, tarn.due) == (
        Decimal("82.50"),
        Decimal("82.50"),
        Decimal(0),
        Decimal("82.50"),
    )
    toulouse = next(a for a in result.academies if a.total.academie.code == "16").total
    assert toulouse.expected == Decimal("492.50")
    assert toulouse.by_status[S.FACTUREE] == 2
    assert toulouse.enrolled == 14
    herault = figures_of(result, "034")
    assert (herault.expected, herault.invoiced) == (Decimal("45.55"), Decimal(0))
    assert herault.coverage == Decimal(1) / Decimal(3)
    total = result.total
    assert total.expected == Decimal("538.05")
    assert total.invoiced == Decimal("246.50")
    assert total.paid == Decimal("160.10")
    assert total.due == Decimal("86.40")
    assert total.live_count == 7
    assert total.by_status[S.ANNULEE] == 1


def test_signatures_per_week_fill_the_weeks_between(campaign):
    weeks = dashboard.campaign(campaign["year"]).weeks
    mondays = [monday for monday, _, _ in weeks]
    assert mondays == [datetime.date(2027, 5, 3) + datetime.timedelta(weeks=n) for n in range(4)]
    # Signed by the collectivité: 4 and 5 May, then 19 and 20 May; by the académie: the
    # 12th, the 21st and the 26th.
    assert [(c, a) for _, c, a in weeks] == [(2, 0), (0, 1), (2, 1), (0, 1)]


def test_default_year_is_the_latest_with_conventions(campaign):
    SchoolYearFactory(label="2027-2028")
    years = dashboard.school_years()
    assert [y.label for y in years] == ["2027-2028", "2026-2027", "2025-2026"]
    assert dashboard.default_year(years).label == "2026-2027"


def page_text(response):
    return re.sub(r"[ \t\r\n]+", " ", response.content.decode())


def test_page_shows_the_figures_in_euros(client, campaign):
    client.force_login(make_user("gestion"))
    response = client.get(URL)
    assert response.status_code == 200
    text = page_text(response)
    assert "Tableau de bord de la campagne 2026-2027" in text
    assert "538,05\N{NO-BREAK SPACE}€" in text
    assert "160,10\N{NO-BREAK SPACE}€" in text
    assert "33,3\N{NO-BREAK SPACE}%" in text  # Hérault: 1 school of 3
    assert "<svg" in text and "signée par la" in text
    # No inline style: the CSP would block it.
    assert "style=" not in text.split("<body", 1)[1]


def links_in(response):
    return re.findall(r'<a href="(/admin/[^"]+\?[^"]+)">([^<]+)</a>', response.content.decode())


def changelist(client, url):
    response = client.get(url.replace("&amp;", "&"))
    assert response.status_code == 200, url
    return response.context["cl"]


def changelist_count(client, url):
    return changelist(client, url).result_count


def listed_amount(cl, url):
    if "/convention/" in url:
        return euros(cl.queryset.aggregate(total=Sum("issued_amount"))["total"])
    statuses = parse_qs(urlsplit(html.unescape(url)).query).get("status__in", [""])[0]
    if statuses == ",".join(dashboard.PAID_TITRE_STATUSES):
        return euros(cl.queryset.aggregate(total=Sum("amount_paid"))["total"])
    if statuses == ",".join(dashboard.DUE_TITRE_STATUSES):
        return euros(sum(titre.remaining for titre in cl.queryset))
    return euros(cl.queryset.aggregate(total=Sum("amount"))["total"])


def test_every_figure_opens_the_list_it_counts(client, campaign):
    client.force_login(make_user("superuser"))
    links = links_in(client.get(URL))
    assert len(links) > 30
    for url, shown in links:
        cl = changelist(client, url)
        if "€" in shown:
            # An amount: the rows of its list add up to it.
            assert listed_amount(cl, url) == shown, url
        else:
            assert cl.result_count == int(shown.replace("\N{NARROW NO-BREAK SPACE}", "")), url


def test_year_selector(client, campaign):
    client.force_login(make_user("gestion"))
    response = client.get(URL, {"annee": "2025-2026"})
    assert "999,00\N{NO-BREAK SPACE}€" in page_text(response)
    response = client.get(URL, {"annee": "1999-2000"})
    assert "Année scolaire inconnue : « 1999-2000 »" in page_text(response)
    assert "538,05\N{NO-BREAK SPACE}€" in page_text(response)


def test_query_count_does_not_grow_with_the_conventions(
    client, territory, django_assert_num_queries
):
    user = make_user("comptabilite")
    client.force_login(user)
    convention(territory["031"][0], S.FACTUREE, Decimal("41.00"), signed_by_collectivite_at=at(3))
    client.get(URL)  # warms the session and the content types
    # Each request empties the connection's log (request_started): start from empty.
    reset_queries()
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    # Counted now: the next request empties the connection's log.
    at_one = len(one.captured_queries)
    assert at_one >= 8
    for index, commune in enumerate(territory["031"][1:] + territory["034"]):
        made = convention(
            commune,
            S.FACTUREE if index % 2 else S.SIGNEE_COLLECTIVITE,
            Decimal("82.00"),
            2,
            signed_by_collectivite_at=at(3 + index * 3),
            signed_by_academie_at=at(4 + index * 3) if index % 2 else None,
        )
        if index % 2:
            titre(made, TitreStatus.PAYE, Decimal("82.00"), paid=Decimal("82.00"))
    with django_assert_num_queries(at_one):
        client.get(URL)
    with django_assert_num_queries(at_one):
        client.get(XLSX_URL)


def test_xlsx_export(client, campaign):
    client.force_login(make_user("comptabilite"))
    response = client.get(XLSX_URL, {"annee": "2026-2027"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="tableau-de-bord-2026-2027.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Conventions par statut",
        "Écoles et montants",
        "Signatures par semaine",
    ]
    statuses = [[cell.value for cell in row] for row in book["Conventions par statut"].rows]
    assert statuses[0][:4] == ["Académie", "Département", "brouillon", "émise"]
    assert statuses[-1] == ["Toutes les académies", "Total", 1, 1, 1, 1, 1, 2, 1, 7]
    money = book["Écoles et montants"]
    headers = [cell.value for cell in money[1]]
    assert headers[5:] == [
        "montant attendu (conventions émises)",
        "montant facturé (titres émis)",
        "montant payé",
        "reste dû",
    ]
    total = list(money.rows)[-1]
    assert [cell.value for cell in total[5:]] == [538.05, 246.5, 160.1, 86.4]
    assert total[5].number_format == '#,##0.00\\ "€"'
    haute_garonne = next(row for row in money.rows if row[1].value == "31 – Haute-Garonne")
    assert haute_garonne[0].value == "Académie de Toulouse"
    assert haute_garonne[6].value == 164
    weeks = list(book["Signatures par semaine"].rows)
    assert weeks[1][0].value == datetime.datetime(2027, 5, 3)
    assert [w[1].value for w in weeks[1:]] == [2, 0, 2, 0]


# Permissions (README, "Rôles et permissions") ------------------------------------------


@pytest.mark.parametrize("role", ["superuser", "gestion", "comptabilite"])
def test_roles_with_the_conventions_see_the_dashboard(client, campaign, role):
    client.force_login(make_user(role))
    index = client.get("/admin/")
    assert 'href="/admin/tableau-de-bord/"' in index.content.decode()
    assert client.get(URL).status_code == 200
    assert client.get(XLSX_URL).status_code == 200


def test_accountants_get_no_link_to_the_schools_they_may_not_open(client, campaign):
    client.force_login(make_user("comptabilite"))
    urls = [url for url, _ in links_in(client.get(URL))]
    assert not any(url.startswith("/admin/schools/") for url in urls)
    assert any(url.startswith("/admin/conventions/titre/") for url in urls)
    assert any(url.startswith("/admin/conventions/enrollment/") for url in urls)
    for url in urls:
        changelist(client, url)  # 200, not a refusal


def test_staff_without_the_view_permission_is_refused(client, campaign):
    user = get_user_model().objects.create_user("agent-sans-droit", password=PASSWORD)
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_school"))
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.get(XLSX_URL).status_code == 403
    assert client.get("/admin/conventions/enrollment/").status_code == 403
    assert 'href="/admin/tableau-de-bord/"' not in client.get("/admin/").content.decode()


def test_anonymous_and_non_staff_are_sent_to_the_login_page(client, campaign):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    client.force_login(get_user_model().objects.create_user("mairie", password=PASSWORD))
    for url in (URL, XLSX_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_no_school_year_yet(client, db):
    client.force_login(make_user("superuser"))
    response = client.get(URL)
    assert "Aucune année scolaire n'est enregistrée" in page_text(response)
    assert client.get(XLSX_URL).status_code == 404


def test_weeks_are_those_of_paris(territory):
    year = SchoolYearFactory(label="2026-2027")
    # Monday 31 May at 00:30 in Paris, still Sunday in UTC: the week of the 31st.
    convention(
        territory["031"][0],
        S.SIGNEE_COLLECTIVITE,
        Decimal("41.00"),
        year=year,
        signed_by_collectivite_at=datetime.datetime(2027, 5, 31, 0, 30, tzinfo=PARIS),
    )
    assert dashboard.campaign(year).weeks == [(datetime.date(2027, 5, 31), 1, 0)]


def test_enrolled_schools_list_is_read_only(client, campaign):
    client.force_login(make_user("superuser"))
    enrollment = campaign["draft"].enrollments.first()
    page = client.get(f"/admin/conventions/enrollment/{enrollment.pk}/change/")
    assert page.status_code == 200
    assert "/delete/" not in page.content.decode()
    assert client.get(f"/admin/conventions/enrollment/{enrollment.pk}/delete/").status_code in (
        302,
        404,
    )
    assert campaign["draft"].enrollments.filter(pk=enrollment.pk).exists()


def test_a_toulouse_agent_sees_toulouse_figures_only(client, campaign):
    client.force_login(make_user("gestion", academie="16"))
    text = page_text(client.get(URL))
    assert "492,50\N{NO-BREAK SPACE}€" in text  # Toulouse's amount expected
    assert "538,05\N{NO-BREAK SPACE}€" not in text  # the region's
    assert "Hérault" not in text and "Montpellier" not in text
    workbook = client.get(XLSX_URL)
    assert workbook.status_code == 200
    cells = {
        str(cell.value)
        for sheet in load_workbook(io.BytesIO(workbook.content)).worksheets
        for row in sheet.iter_rows()
        for cell in row
    }
    assert not any("Montpellier" in value or "Hérault" in value for value in cells)
