"""Nobody deletes what was issued: conventions other than drafts, titres, and the tariffs,
signatories and templates an issued convention printed. A draft may be deleted, its files
with it."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.urls import reverse

from conventions.enums import ConventionStatus
from conventions.models import Convention, ConventionTemplate, Signatory, Tariff, Titre
from tests import permissions_helpers as h
from tests.factories import SchoolYearFactory, TariffFactory
from tests.portal_helpers import make_pdf, mark_issued

pytestmark = pytest.mark.django_db

S, G, C = "superuser", "gestion", "comptabilite"
# Every status a convention can reach once issued, with the walk that reaches it.
ISSUED_PATHS = {
    ConventionStatus.EMISE: [],
    ConventionStatus.ENVOYEE: [ConventionStatus.ENVOYEE],
    ConventionStatus.SIGNEE_COLLECTIVITE: [ConventionStatus.SIGNEE_COLLECTIVITE],
    ConventionStatus.SIGNEE_ACADEMIE: [
        ConventionStatus.SIGNEE_COLLECTIVITE,
        ConventionStatus.SIGNEE_ACADEMIE,
    ],
    ConventionStatus.ANNULEE: [ConventionStatus.ANNULEE],
}


def issued_in(status):
    convention = h.issued_ceret()
    for step in ISSUED_PATHS[status]:
        convention.transition_to(step, reason="motif")
    return convention


def change_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def delete_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("role", [S, G, C])
@pytest.mark.parametrize("status", list(ISSUED_PATHS))
def test_nobody_deletes_an_issued_convention(seed_data, role, status):
    convention = issued_in(status)
    client = h.role_client(role)

    page = client.get(change_url(convention))
    assert page.status_code == 200
    assert delete_url(convention) not in page.text
    assert client.get(delete_url(convention)).status_code == 403
    response = h.post_with_token(client, "/admin/", delete_url(convention), {"post": "yes"})
    assert response.status_code == 403
    assert Convention.objects.filter(pk=convention.pk).exists()
    assert convention.pdf.storage.exists(convention.pdf.name)


def draft_with_files():
    # A draft may hold files, e.g. from an issuing that failed after writing them.
    convention = h.ceret()
    convention.pdf.save("brouillon.pdf", ContentFile(make_pdf()), save=False)
    convention.signed_pdf.save("brouillon-signee.pdf", ContentFile(make_pdf()), save=False)
    convention.save()
    return convention


@pytest.mark.parametrize(("role", "allowed"), [(S, True), (G, True), (C, False)])
def test_a_draft_is_deleted_with_its_files_by_those_who_may(
    seed_data, role, allowed, django_capture_on_commit_callbacks
):
    convention = draft_with_files()
    files = [convention.pdf, convention.signed_pdf]
    client = h.role_client(role)

    page = client.get(change_url(convention))
    assert (delete_url(convention) in page.text) is allowed
    confirmation = client.get(delete_url(convention))
    assert confirmation.status_code == (200 if allowed else 403)
    with django_capture_on_commit_callbacks(execute=True):
        response = h.post_with_token(client, "/admin/", delete_url(convention), {"post": "yes"})

    assert response.status_code == (302 if allowed else 403)
    assert Convention.objects.filter(pk=convention.pk).exists() is not allowed
    for file in files:
        assert file.storage.exists(file.name) is not allowed


def bulk_delete(client, objs, changelist):
    url = reverse(changelist)
    return h.post_with_token(
        client,
        url,
        url,
        {
            "action": "delete_selected",
            "_selected_action": [obj.pk for obj in objs],
            "index": "0",
            "post": "yes",
        },
    )


@pytest.mark.parametrize("role", [S, G])
def test_bulk_delete_refuses_a_selection_holding_an_issued_convention(seed_data, role):
    issued = issued_in(ConventionStatus.ENVOYEE)
    draft = h.rodez()
    client = h.role_client(role)

    response = bulk_delete(client, [issued, draft], "admin:conventions_convention_changelist")

    assert response.status_code == 302
    assert Convention.objects.filter(pk__in=[issued.pk, draft.pk]).count() == 2
    assert messages_of(response) == [
        f"Suppression refusée : seuls les brouillons se suppriment ; {issued.reference} est "
        "envoyée : annulez-la plutôt. Rien n'a été supprimé."
    ]


def test_bulk_delete_names_each_status_and_agrees_in_number(seed_data):
    sent = issued_in(ConventionStatus.ENVOYEE)
    cancelled = mark_issued(h.rodez())
    cancelled.transition_to(ConventionStatus.ANNULEE, reason="motif")
    client = h.role_client(G)

    response = bulk_delete(client, [sent, cancelled], "admin:conventions_convention_changelist")

    assert messages_of(response) == [
        "Suppression refusée : seuls les brouillons se suppriment ; "
        f"{sent.reference} (envoyée), {cancelled.reference} (annulée) ne sont pas des "
        "brouillons : annulez-les plutôt. Rien n'a été supprimé."
    ]
    response = bulk_delete(client, [cancelled], "admin:conventions_convention_changelist")
    assert messages_of(response) == [
        "Suppression refusée : seuls les brouillons se suppriment ; "
        f"{cancelled.reference} est annulée : elle reste enregistrée. Rien n'a été supprimé."
    ]


@pytest.mark.parametrize("role", [S, G])
def test_bulk_delete_of_drafts_removes_them_and_their_files(
    seed_data, role, django_capture_on_commit_callbacks
):
    convention = draft_with_files()
    files = [convention.pdf, convention.signed_pdf]
    client = h.role_client(role)

    with django_capture_on_commit_callbacks(execute=True):
        response = bulk_delete(client, [convention], "admin:conventions_convention_changelist")

    assert response.status_code == 302
    assert not Convention.objects.filter(pk=convention.pk).exists()
    assert not any(file.storage.exists(file.name) for file in files)


def test_the_bulk_delete_action_names_drafts(seed_data):
    page = h.role_client(G).get(reverse("admin:conventions_convention_changelist"))
    assert '<option value="delete_selected">Supprimer les brouillons sélectionnés</option>' in (
        page.text
    )


@pytest.mark.parametrize("role", [S, G, C])
def test_nobody_deletes_a_titre(seed_data, role):
    titre = h.issued_titre()
    client = h.role_client(role)

    assert delete_url(titre) not in client.get(change_url(titre)).text
    assert client.get(delete_url(titre)).status_code == 403
    assert bulk_delete(client, [titre], "admin:conventions_titre_changelist").status_code == 403
    assert Titre.objects.filter(pk=titre.pk).exists()


def used_reference_rows():
    h.with_templates()
    template = ConventionTemplate.objects.get(school_year__label="2026-2027")
    convention = h.ceret()
    convention.issued_template = template
    mark_issued(convention)
    tariff = Tariff.objects.get(school_year=convention.school_year, academie=convention.academie)
    signatory = Signatory.objects.get(
        school_year=convention.school_year, academie=convention.academie
    )
    return {"tarif": tariff, "signataire": signatory, "modèle": template}


@pytest.mark.parametrize("role", [S, G, C])
@pytest.mark.parametrize("kind", ["tarif", "signataire", "modèle"])
def test_nobody_deletes_what_an_issued_convention_printed(seed_data, role, kind):
    obj = used_reference_rows()[kind]
    client = h.role_client(role)
    changelist = f"admin:conventions_{obj._meta.model_name}_changelist"

    assert client.get(delete_url(obj)).status_code == 403
    response = h.post_with_token(client, "/admin/", delete_url(obj), {"post": "yes"})
    assert response.status_code == 403
    bulk = bulk_delete(client, [obj], changelist)
    if role == C:
        assert bulk.status_code == 403
    else:
        assert bulk.status_code == 302
        assert messages_of(bulk) == [
            f"Suppression refusée : une convention émise utilise {obj} ; ce qui a été imprimé "
            "est conservé. Rien n'a été supprimé."
        ]
        assert delete_url(obj) not in client.get(change_url(obj)).text
    assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize(("role", "allowed"), [(S, True), (G, True), (C, False)])
def test_an_unused_tariff_may_be_deleted_by_those_who_may(seed_data, role, allowed):
    used_reference_rows()
    unused = TariffFactory(school_year=SchoolYearFactory(label="2030-2031"))
    client = h.role_client(role)

    response = bulk_delete(client, [unused], "admin:conventions_tariff_changelist")

    assert response.status_code == (302 if allowed else 403)
    assert Tariff.objects.filter(pk=unused.pk).exists() is not allowed


def test_a_year_with_issued_conventions_keeps_its_tariffs_and_signatories(seed_data):
    convention = h.issued_ceret()
    client = h.role_client(G)

    page = client.get(change_url(convention.school_year))

    assert page.status_code == 200
    assert "tariffs-0-DELETE" not in page.text
    assert "signatories-0-DELETE" not in page.text
    other_year = h.rodez().school_year
    assert "tariffs-0-DELETE" in client.get(change_url(other_year)).text
