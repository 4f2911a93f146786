"""Each role × scope, each door, for an object of each académie: allowed where the role may
and the object is in the agent's académie, a 404 where it is another académie's (README,
"Rôles et permissions"), through the real admin URLs."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.roles import make_user
from tests.scope_helpers import ACADEMIES, load_world

pytestmark = pytest.mark.django_db

ALL = {"gestion", "comptabilite", "administration"}
STAFF = {"gestion", "administration"}
BILLING = {"comptabilite", "administration"}
SCOPES = {"16": {"16"}, "11": {"11"}, "region": {"16", "11"}}


def admin_url(name, *args):
    return reverse(f"admin:{name}", args=args)


def finished(response):
    # A file download keeps its file open until read: read it through the test client's
    # wrapper (closing the response by hand would close the database connection too).
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def listed(response, obj):
    """A list or an autocomplete: 200 if it shows the object, 404 (for the table) if not."""
    finished(response)
    if response.status_code != 200:
        return response.status_code
    if "cl" in (response.context or {}):
        shown = {row.pk for row in response.context["cl"].result_list}
    else:
        shown = {int(result["id"]) for result in response.json()["results"]}
    return 200 if obj.pk in shown else 404


def action(client, changelist, name, objs, **data):
    return client.post(
        admin_url(changelist), {"action": name, "_selected_action": [o.pk for o in objs], **data}
    )


def autocomplete(client, model_name, field_name, term, app_label="conventions"):
    return client.get(
        "/admin/autocomplete/",
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )


# name -> (roles allowed, request). Each request gets the logged-in client and the objects
# of one académie, and answers a status (200 or 302 when it went through).
DOORS = {
    "liste des conventions": (
        ALL,
        lambda c, o: listed(
            c.get(
                admin_url("conventions_convention_changelist")
                + "?school_year__id__exact="
                + str(o["draft"].school_year_id)
            ),
            o["draft"],
        ),
    ),
    "fiche de la convention": (
        ALL,
        lambda c, o: c.get(admin_url("conventions_convention_change", o["issued"].pk)),
    ),
    "historique de la convention": (
        ALL,
        lambda c, o: c.get(admin_url("conventions_convention_history", o["issued"].pk)),
    ),
    "aperçu du brouillon": (
        ALL,
        lambda c, o: c.get(admin_url("conventions_convention_preview", o["draft"].pk)),
    ),
    "PDF émis": (
        ALL,
        lambda c, o: c.get(admin_url("conventions_convention_pdf", o["issued"].pk)),
    ),
    "exemplaire signé": (
        ALL,
        lambda c, o: c.get(admin_url("conventions_convention_signed_copy", o["issued"].pk)),
    ),
    "page « Émettre… »": (
        STAFF,
        lambda c, o: c.get(admin_url("conventions_convention_issue", o["draft"].pk)),
    ),
    "page « Envoyer le lien… »": (
        STAFF,
        lambda c, o: c.get(admin_url("conventions_convention_send_link", o["issued"].pk)),
    ),
    "page « Annuler… »": (
        STAFF,
        lambda c, o: c.get(admin_url("conventions_convention_cancel", o["issued"].pk)),
    ),
    "écoles ouvertes de la commune": (
        STAFF,
        lambda c, o: c.get(admin_url("conventions_convention_open_schools", o["draft"].pk)),
    ),
    "changement de statut (POST)": (
        STAFF,
        lambda c, o: c.post(
            admin_url("conventions_convention_transition", o["draft"].pk, "envoyee")
        ),
    ),
    "suppression d'un brouillon (page)": (
        STAFF,
        lambda c, o: c.get(admin_url("conventions_convention_delete", o["draft"].pk)),
    ),
    "calcul de la participation": (
        STAFF,
        lambda c, o: c.get(
            admin_url("conventions_convention_fee_preview"),
            {
                "commune": o["draft"].commune_id,
                "school_year": o["draft"].school_year_id,
                "count": 2,
            },
        ),
    ),
    "action « Révoquer le lien » (POST)": (
        STAFF,
        lambda c, o: action(c, "conventions_convention_changelist", "revoke_link", [o["issued"]]),
    ),
    "action ZIP des PDF émis (POST)": (
        STAFF,
        lambda c, o: action(c, "conventions_convention_changelist", "download_zip", [o["issued"]]),
    ),
    "ZIP de l'année scolaire, par académie": (
        STAFF,
        lambda c, o: c.get(
            admin_url("conventions_schoolyear_zip", o["issued"].school_year_id),
            {"academie": o["academie"].code},
        ),
    ),
    "fiche du titre": (
        ALL,
        lambda c, o: c.get(admin_url("conventions_titre_change", o["titre"].pk)),
    ),
    "liste des titres": (
        ALL,
        lambda c, o: listed(c.get(admin_url("conventions_titre_changelist")), o["titre"]),
    ),
    "action « Marquer payés… » (POST)": (
        BILLING,
        lambda c, o: action(c, "conventions_titre_changelist", "mark_paid_selected", [o["titre"]]),
    ),
    "fiche du tarif": (
        STAFF,
        lambda c, o: c.get(admin_url("conventions_tariff_change", o["tariff"].pk)),
    ),
    "fiche du signataire": (
        STAFF,
        lambda c, o: c.get(admin_url("conventions_signatory_change", o["signatory"].pk)),
    ),
    "fiche du modèle": (
        STAFF,
        lambda c, o: c.get(admin_url("conventions_conventiontemplate_change", o["template"].pk)),
    ),
    "aperçu du modèle": (
        STAFF,
        lambda c, o: c.get(admin_url("conventions_conventiontemplate_preview", o["template"].pk)),
    ),
    "fiche de la collectivité": (
        ALL,
        lambda c, o: c.get(admin_url("communes_collectivite_change", o["collectivite"].pk)),
    ),
    "fiche de la commune": (
        ALL,
        lambda c, o: c.get(admin_url("communes_commune_change", o["commune"].pk)),
    ),
    "fiche du département": (
        STAFF,
        lambda c, o: c.get(admin_url("communes_departement_change", o["departement"].pk)),
    ),
    "fiche de l'académie": (
        STAFF,
        lambda c, o: c.get(admin_url("communes_academie_change", o["academie"].pk)),
    ),
    "fiche de l'école": (
        STAFF,
        lambda c, o: c.get(admin_url("schools_school_change", o["school"].pk)),
    ),
    "autocomplétion des communes": (
        ALL,
        lambda c, o: listed(
            autocomplete(c, "convention", "commune", o["commune"].name), o["commune"]
        ),
    ),
    "autocomplétion des collectivités": (
        ALL,
        lambda c, o: listed(
            autocomplete(c, "convention", "collectivite", o["collectivite"].siret),
            o["collectivite"],
        ),
    ),
    "autocomplétion des conventions": (
        ALL,
        lambda c, o: listed(
            autocomplete(c, "convention", "replaces", o["issued"].commune.name), o["issued"]
        ),
    ),
    "autocomplétion des écoles": (
        STAFF,
        lambda c, o: listed(autocomplete(c, "enrollment", "school", o["school"].uai), o["school"]),
    ),
}


def expected(role, scope, academie, roles_allowed):
    in_scope, allowed = academie in SCOPES[scope], role in roles_allowed
    if allowed:
        return "ok" if in_scope else "404"
    # Refused for the role; another académie's object may meet either refusal first.
    return "403" if in_scope else "403 ou 404"


def seen(status, wanted):
    if status in (200, 302):
        return "ok"
    if wanted == "403 ou 404" and status in (403, 404):
        return wanted
    return str(status)


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", sorted(ALL))
def test_each_door_for_each_role_and_scope(role, scope):
    world = load_world()
    client = Client()
    client.force_login(make_user(role, academie=None if scope == "region" else scope))
    mismatches = []
    for door, (roles_allowed, request) in DOORS.items():
        for academie in ACADEMIES:
            wanted = expected(role, scope, academie, roles_allowed)
            answer = request(client, world[academie])
            if not isinstance(answer, int):
                answer = finished(answer).status_code
            status = answer
            if seen(status, wanted) != wanted:
                mismatches.append(f"{door} ({academie}) : {status}, attendu {wanted}")
    assert mismatches == []
