"""The roles' matrix (README, "Rôles et permissions"), cell by cell, through the admin's real
URLs: every page, custom view, export, ZIP, preview and autocomplete, for every role; what a
role may not do is a 403 and changes nothing."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from conventions.enums import ConventionStatus
from conventions.models import Convention, ConventionTemplate, SchoolYear, Signatory, Tariff
from schools.models import School
from tests import permissions_helpers as h
from tests.portal_helpers import make_pdf

pytestmark = pytest.mark.django_db

S, G, C = "superuser", "gestion", "comptabilite"
ALL = {S, G, C}


def url(name, *args, query=""):
    return reverse(f"admin:{name}", args=args) + query


def draft():
    h.with_templates()
    return h.ceret()


def with_signed_copy():
    convention = h.issued_ceret()
    convention.signed_pdf.save("ceret-signee.pdf", ContentFile(make_pdf()), save=True)
    return convention


def template():
    h.with_templates()
    return ConventionTemplate.objects.get(school_year__label="2026-2027")


def autocomplete(app_label, model_name, field_name):
    return (
        f"/admin/autocomplete/?app_label={app_label}&model_name={model_name}"
        f"&field_name={field_name}&term=ce"
    )


def status_is(status):
    return lambda obj: Convention.objects.get(pk=obj.pk).status == status


# (cell, method, setup, url of the set-up object, roles allowed, POST data, did it happen?)
VIEWS = [
    ("conventions-list", "get", None, lambda _: url("conventions_convention_changelist"), ALL),
    ("convention-page", "get", h.ceret, lambda c: url("conventions_convention_change", c.pk), ALL),
    ("convention-add", "get", None, lambda _: url("conventions_convention_add"), {S, G}),
    (
        "convention-preview",
        "get",
        draft,
        lambda c: url("conventions_convention_preview", c.pk),
        ALL,
    ),
    (
        "convention-pdf",
        "get",
        h.issued_ceret,
        lambda c: url("conventions_convention_pdf", c.pk),
        ALL,
    ),
    (
        "convention-signed-copy",
        "get",
        with_signed_copy,
        lambda c: url("conventions_convention_signed_copy", c.pk),
        ALL,
    ),
    (
        "convention-issue-page",
        "get",
        draft,
        lambda c: url("conventions_convention_issue", c.pk),
        {S, G},
    ),
    (
        "convention-issue",
        "post",
        draft,
        lambda c: url("conventions_convention_issue", c.pk),
        {S, G},
        {},
        status_is(ConventionStatus.EMISE),
    ),
    (
        "convention-status",
        "post",
        h.issued_ceret,
        lambda c: url("conventions_convention_transition", c.pk, ConventionStatus.ENVOYEE),
        {S, G},
        {},
        status_is(ConventionStatus.ENVOYEE),
    ),
    (
        "convention-cancel-page",
        "get",
        h.ceret,
        lambda c: url("conventions_convention_cancel", c.pk),
        {S, G},
    ),
    (
        "convention-cancel",
        "post",
        h.ceret,
        lambda c: url("conventions_convention_cancel", c.pk),
        {S, G},
        {"reason": "commune fusionnée"},
        status_is(ConventionStatus.ANNULEE),
    ),
    (
        "convention-cancel-and-replace",
        "post",
        h.issued_ceret,
        lambda c: url("conventions_convention_cancel", c.pk, query="?remplacer=1"),
        {S, G},
        {"reason": "une école oubliée"},
        lambda c: Convention.objects.filter(replaces=c).exists(),
    ),
    (
        "convention-fee-preview",
        "get",
        h.ceret,
        lambda c: url(
            "conventions_convention_fee_preview",
            query=f"?count=2&school_year={c.school_year_id}&academie={c.academie_id}",
        ),
        {S, G},
    ),
    (
        "school-year-zip",
        "get",
        h.issued_ceret,
        lambda c: url("conventions_schoolyear_zip", c.school_year_id),
        {S, G},
    ),
    ("school-years-list", "get", None, lambda _: url("conventions_schoolyear_changelist"), {S, G}),
    ("tariffs-list", "get", None, lambda _: url("conventions_tariff_changelist"), {S, G}),
    ("signatories-list", "get", None, lambda _: url("conventions_signatory_changelist"), {S, G}),
    (
        "templates-list",
        "get",
        None,
        lambda _: url("conventions_conventiontemplate_changelist"),
        {S, G},
    ),
    (
        "template-preview",
        "get",
        template,
        lambda t: url("conventions_conventiontemplate_preview", t.pk),
        {S, G},
    ),
    (
        "template-duplicate",
        "post",
        template,
        lambda t: url("conventions_conventiontemplate_duplicate", t.pk),
        {S, G},
        {},
        lambda t: ConventionTemplate.objects.filter(school_year__label="2027-2028").exists(),
    ),
    ("batches-list", "get", None, lambda _: url("conventions_issuingbatch_changelist"), {S, G}),
    ("titres-list", "get", None, lambda _: url("conventions_titre_changelist"), ALL),
    (
        "titre-page",
        "get",
        h.issued_titre,
        lambda t: url("conventions_titre_change", t.pk),
        ALL,
    ),
    (
        "titres-export",
        "post",
        h.issued_titre,
        lambda _: url("conventions_titre_export"),
        ALL,
        {"format": "0", "resource": "0"},
        None,
    ),
    ("collectivites-list", "get", None, lambda _: url("communes_collectivite_changelist"), ALL),
    ("collectivites-import", "get", None, lambda _: url("communes_collectivite_import"), {S, G}),
    ("communes-list", "get", None, lambda _: url("communes_commune_changelist"), ALL),
    ("schools-list", "get", None, lambda _: url("schools_school_changelist"), {S, G}),
    ("schools-import", "get", None, lambda _: url("schools_school_import"), {S, G}),
    (
        "autocomplete-collectivite",
        "get",
        None,
        lambda _: autocomplete("conventions", "convention", "collectivite"),
        ALL,
    ),
    (
        "autocomplete-replaced-convention",
        "get",
        None,
        lambda _: autocomplete("conventions", "convention", "replaces"),
        ALL,
    ),
    (
        "autocomplete-commune",
        "get",
        None,
        lambda _: autocomplete("communes", "collectivite", "communes"),
        ALL,
    ),
    (
        "autocomplete-school",
        "get",
        None,
        lambda _: autocomplete("conventions", "enrollment", "school"),
        {S, G},
    ),
]


@pytest.mark.parametrize("role", [S, G, C])
@pytest.mark.parametrize("cell", VIEWS, ids=[cell[0] for cell in VIEWS])
def test_every_view_as_every_role(seed_data, role, cell):
    _, method, setup, make_url, allowed, *post = cell
    data, happened = post or ({}, None)
    obj = setup() if setup else None
    client = h.role_client(role)
    target = make_url(obj)

    if method == "get":
        response = client.get(target)
    else:
        response = h.post_with_token(client, "/admin/", target, data)
    if response.streaming:
        # Reading a file response to its end closes it (the test client's own way, which
        # keeps the test's database connection open).
        b"".join(response.streaming_content)

    if role in allowed:
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert "/login/" not in response["Location"]
        if happened:
            assert happened(obj)
    else:
        assert response.status_code == 403
        if happened:
            assert not happened(obj)


# Editing: the page offers to save only to those who may, and a POST by anyone else is a 403.
EDITS = [
    ("convention", h.ceret, "conventions_convention_change", {S, G}),
    ("collectivite", lambda: h.ceret().collectivite, "communes_collectivite_change", {S, G}),
    ("school", lambda: School.objects.first(), "schools_school_change", {S, G}),
    ("tariff", lambda: Tariff.objects.first(), "conventions_tariff_change", {S, G}),
    ("school-year", lambda: SchoolYear.objects.first(), "conventions_schoolyear_change", {S, G}),
    ("template", template, "conventions_conventiontemplate_change", {S, G}),
    ("signatory", lambda: Signatory.objects.first(), "conventions_signatory_change", {S, G}),
    ("commune", lambda: h.ceret().commune, "communes_commune_change", {S, G}),
    ("academie", lambda: h.ceret().academie, "communes_academie_change", {S, G}),
]


@pytest.mark.parametrize("role", [S, G, C])
@pytest.mark.parametrize("cell", EDITS, ids=[cell[0] for cell in EDITS])
def test_editing_as_every_role(seed_data, role, cell):
    _, setup, name, allowed = cell
    obj = setup()
    client = h.role_client(role)
    target = url(name, obj.pk)

    page = client.get(target)

    if role in allowed:
        assert page.status_code == 200
        assert 'name="_save"' in page.text
    else:
        assert page.status_code in (200, 403)
        assert 'name="_save"' not in page.text
        response = h.post_with_token(client, target, target, {"_save": "Enregistrer"})
        assert response.status_code == 403
