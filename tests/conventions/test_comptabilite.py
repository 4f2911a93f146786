from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from communes.models import AgentScope
from conventions import billing
from conventions.enums import ConventionStatus, TitreStatus
from conventions.models import Convention, Titre
from schools.models import School
from tests.titres_helpers import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def accountant(django_user_model, client):
    user = django_user_model.objects.create_user("compta", password="x", is_staff=True)
    AgentScope.objects.create(user=user)  # the whole region
    user.groups.add(Group.objects.get(name="Comptabilité"))
    client.force_login(user)
    return client


@pytest.fixture
def titre(seed_data):
    convention = Convention.objects.get(commune__insee_code="66049")
    return billing.issue_titre(sign(convention), on=date(2026, 11, 23))


def run_action(client, action, titres, **data):
    return client.post(
        reverse("admin:conventions_titre_changelist"),
        {"action": action, "_selected_action": [t.pk for t in titres], "confirmed": "yes", **data},
        follow=True,
    )


def test_the_group_holds_exactly_the_accountants_permissions():
    codenames = set(
        Group.objects.get(name="Comptabilité").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    assert codenames == {
        ("conventions", "view_convention"),
        ("communes", "view_collectivite"),
        ("communes", "view_commune"),
        ("conventions", "view_titre"),
        ("conventions", "export_titre"),
        ("conventions", "issue_titre"),
        ("conventions", "mark_paid_titre"),
    }


def test_an_accountant_sees_conventions_and_titres_and_exports(accountant, titre):
    assert accountant.get(reverse("admin:conventions_convention_changelist")).status_code == 200
    page = accountant.get(reverse("admin:conventions_titre_changelist"))
    assert page.status_code == 200
    assert "TP-2026-11-000001" in page.text
    assert f'<span class="entconv-status entconv-status--{titre.status}">' in page.text
    assert reverse("admin:conventions_titre_export") in page.text

    export = accountant.post(
        reverse("admin:conventions_titre_export"), {"format": "1", "resource": "0"}
    )
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_an_accountant_marks_a_titre_paid_through_the_intermediate_form(accountant, titre):
    form = run_action(accountant, "mark_paid_selected", [titre])
    assert "Enregistrer le paiement" in form.text
    assert "TP-2026-11-000001" in form.text

    done = run_action(
        accountant,
        "mark_paid_selected",
        [titre],
        apply="1",
        paid_on="2027-01-10",
        amount_paid="170.00",
    )

    # More than due: paid, and the difference flagged in the list.
    assert "1 titre marqué payé." in done.text
    titre.refresh_from_db()
    assert (titre.status, titre.paid_on, titre.amount_paid) == (
        TitreStatus.PAYE,
        date(2027, 1, 10),
        Decimal("170.00"),
    )
    assert "différent du montant dû" in done.text


def test_a_short_payment_leaves_the_titre_partly_paid(accountant, titre):
    done = run_action(
        accountant,
        "mark_paid_selected",
        [titre],
        apply="1",
        paid_on="2027-01-10",
        amount_paid="160.00",
    )

    assert "1 titre partiellement payé." in done.text
    assert "160,00\N{NO-BREAK SPACE}€ (reste dû 4,00\N{NO-BREAK SPACE}€)" in done.text
    titre.refresh_from_db()
    assert (titre.status, titre.amount_paid, titre.remaining) == (
        TitreStatus.PARTIEL,
        Decimal("160.00"),
        Decimal("4.00"),
    )


def test_an_accountant_issues_titres_from_the_conventions_list(accountant, seed_data):
    rodez = sign(Convention.objects.get(commune__insee_code="12202"))

    page = accountant.post(
        reverse("admin:conventions_convention_changelist"),
        {
            "action": "issue_titres",
            "_selected_action": [rodez.pk],
            "index": "0",
            "confirmed": "yes",
        },
        follow=True,
    )

    assert "1 titre émis." in page.text
    assert rodez.titres.get().number.startswith("TP-")
    rodez.refresh_from_db()
    assert rodez.status == ConventionStatus.FACTUREE


def test_an_accountant_cannot_change_a_convention_or_a_school(accountant, titre):
    convention = titre.convention
    change = reverse("admin:conventions_convention_change", args=[convention.pk])
    assert accountant.post(change, {"document_date": "2027-01-01"}).status_code == 403
    assert accountant.get(reverse("admin:conventions_convention_add")).status_code == 403
    transition = reverse(
        "admin:conventions_convention_transition",
        args=[convention.pk, ConventionStatus.ENVOYEE],
    )
    assert accountant.post(transition).status_code == 403
    school = School.objects.first()
    assert (
        accountant.get(reverse("admin:schools_school_change", args=[school.pk])).status_code == 403
    )
    assert (
        accountant.post(
            reverse("admin:schools_school_change", args=[school.pk]), {"name": "X"}
        ).status_code
        == 403
    )
    assert accountant.get(reverse("admin:conventions_tariff_changelist")).status_code == 403
    convention.refresh_from_db()
    assert convention.document_date != date(2027, 1, 1)


def test_an_accountant_cannot_cancel_a_titre(accountant, titre):
    page = accountant.get(reverse("admin:conventions_titre_changelist"))
    assert "cancel_selected" not in page.text

    run_action(accountant, "cancel_selected", [titre], apply="1", reason="essai")

    titre.refresh_from_db()
    assert titre.status == TitreStatus.EMIS


def test_staff_cancels_a_titre_with_a_reason_after_confirmation(admin_client, titre):
    form = run_action(admin_client, "cancel_selected", [titre])
    assert "Oui, annuler ces titres" in form.text
    titre.refresh_from_db()
    assert titre.status == TitreStatus.EMIS

    refused = run_action(admin_client, "cancel_selected", [titre], apply="1", reason="")
    assert "Ce champ est obligatoire" in refused.text

    run_action(admin_client, "cancel_selected", [titre], apply="1", reason="débiteur erroné")
    titre.refresh_from_db()
    assert (titre.status, titre.cancel_reason) == (TitreStatus.ANNULE, "débiteur erroné")
    assert Titre.objects.filter(number="TP-2026-11-000001").exists()


def test_titre_pages_answer_and_the_list_does_not_grow_in_queries(admin_client, seed_data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    conventions = list(Convention.objects.order_by("pk"))
    first = billing.issue_titre(sign(conventions[0]))
    changelist = reverse("admin:conventions_titre_changelist")
    queries(changelist)  # warm caches (content types, session)
    with_one = queries(changelist)
    for convention in conventions[1:]:
        billing.issue_titre(sign(convention))
    assert queries(changelist) == with_one
    change = admin_client.get(reverse("admin:conventions_titre_change", args=[first.pk]))
    assert "ENT-2024-2025-16-12202-01" in change.text


def test_an_accountant_prepares_titres_then_numbers_them_after_review(accountant, seed_data):
    rodez = sign(Convention.objects.get(commune__insee_code="12202"))
    prepared = accountant.post(
        reverse("admin:conventions_convention_changelist"),
        {"action": "prepare_titres", "_selected_action": [rodez.pk], "index": "0"},
        follow=True,
    )
    assert "1 titre à émettre préparé." in prepared.text
    titre = rodez.titres.get()
    assert (titre.status, titre.number, titre.amount) == (
        TitreStatus.A_EMETTRE,
        None,
        Decimal("450.00"),
    )
    listed = accountant.get(reverse("admin:conventions_titre_changelist"))
    assert "à attribuer" in listed.text

    issued = run_action(accountant, "issue_selected", [titre])

    assert "1 titre émis." in issued.text
    titre.refresh_from_db()
    assert titre.status == TitreStatus.EMIS
    assert titre.number.startswith("TP-")
    assert titre.debtor_name == "COMMUNE DE RODEZ"


def test_an_accountant_reads_a_convention_without_status_buttons(accountant, titre):
    page = accountant.get(
        reverse("admin:conventions_convention_change", args=[titre.convention_id])
    )
    assert page.status_code == 200
    assert "ENT-2026-2027-11-66049-01" in page.text
    assert "Annuler la convention" not in page.text


def test_marking_several_titres_paid_without_amount_records_each_amount_due(admin_client, titre):
    rodez = billing.issue_titre(
        sign(Convention.objects.get(commune__insee_code="12202")), on=date(2026, 11, 23)
    )

    done = run_action(
        admin_client, "mark_paid_selected", [titre, rodez], apply="1", paid_on="2027-02-01"
    )

    assert "2 titres marqués payés." in done.text
    assert sorted(Titre.objects.values_list("amount_paid", flat=True)) == [
        Decimal("164.00"),
        Decimal("450.00"),
    ]
    assert "différent du montant dû" not in done.text
