import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from communes.collectivites_import import import_collectivites
from communes.journal import JournalEntry, JournalEvent, acting_as
from communes.models import Collectivite
from conventions.models import Convention, Enrollment
from schools.annuaire import import_annuaire
from schools.models import School
from tests.communes.test_import_collectivites import HEADER, rows, write_csv
from tests.factories import CommuneFactory, SchoolFactory, complete_convention
from tests.roles import make_user
from tests.schools.annuaire_rows import OCCITANIE, read_rows, set_value, write


@pytest.fixture
def staff(db, client):
    user = make_user("superuser")
    client.force_login(user)
    return user


def test_the_historique_shows_who_changed_which_field_from_what_to_what(client, staff):
    convention = complete_convention(document_date=datetime.date(2026, 5, 21))
    with acting_as(staff):
        convention.document_date = datetime.date(2026, 6, 2)
        convention.save()

    page = client.get(reverse("admin:conventions_convention_history", args=[convention.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Date de la convention" in text
    assert "21/05/2026 → 02/06/2026" in text
    assert "agent-superuser" in text


def test_the_historique_lists_the_schools_added_and_removed(client, staff):
    convention = complete_convention(school_count=1)
    school = SchoolFactory(commune=convention.commune, name="École des Tilleuls")
    with acting_as(staff):
        convention.enroll([school])
        Enrollment.objects.get(school=school).delete()

    page = client.get(reverse("admin:conventions_convention_history", args=[convention.pk]))

    text = page.content.decode()
    assert "école ajoutée" in text and "école retirée" in text
    assert f"École des Tilleuls ({school.uai})" in text


def test_the_convention_page_shows_its_timeline(client, staff, private_storage):
    from conventions.issuing import issue

    convention = complete_convention(school_count=1)
    with acting_as(staff):
        convention = issue(convention)

    page = client.get(reverse("admin:conventions_convention_change", args=[convention.pk]))

    text = page.content.decode()
    assert "chronologie" in text.lower()
    assert "convention créée" in text
    assert "école ajoutée" in text
    assert f"convention émise — SHA-256 {convention.pdf_sha256}" in text
    assert "brouillon → émise" in text


@pytest.mark.parametrize(
    "model",
    [
        "communes.collectivite",
        "schools.school",
        "conventions.convention",
        "conventions.enrollment",
        "conventions.tariff",
        "conventions.signatory",
        "conventions.conventiontemplate",
        "conventions.titre",
    ],
)
def test_every_business_model_keeps_a_history(db, model):
    from django.apps import apps

    assert hasattr(apps.get_model(model), "history")


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)


def test_the_annuaire_command_writes_history_in_its_own_name(reference):
    call_command("import_annuaire", str(OCCITANIE), verbosity=0)

    records = School.history.filter(history_type="+")
    assert records.count() == School.objects.count() == 449
    assert set(records.values_list("history_change_reason", flat=True)) == {
        "commande import_annuaire"
    }
    entry = JournalEntry.objects.get(event=JournalEvent.IMPORT_ANNUAIRE)
    assert (entry.actor, entry.data["created"]) == ("commande import_annuaire", 449)


def test_an_annuaire_update_is_attributed_to_the_user_field_by_field(reference, tmp_path):
    import_annuaire(OCCITANIE)
    user = make_user("gestion")
    header, data = read_rows()
    data = [
        set_value(header, row, "Nom_etablissement", "Ecole Pierre Chabrié") if row[0] == "0820178Y"
        else row
        for row in data
    ]  # fmt: skip

    with acting_as(user):
        import_annuaire(write(tmp_path / "annuaire.csv", header, data))

    latest = School.objects.get(uai="0820178Y").history.first()
    assert latest.history_user == user
    delta = latest.diff_against(latest.prev_record)
    assert [(c.field, c.new) for c in delta.changes if c.field == "name"] == [
        ("name", "Ecole Pierre Chabrié")
    ]


def test_closing_missing_schools_leaves_history(reference, tmp_path):
    import_annuaire(OCCITANIE)
    header, data = read_rows()

    uai = School.objects.order_by("uai").first().uai

    kept = [row for row in data if row[0] != uai]
    import_annuaire(write(tmp_path / "annuaire.csv", header, kept), complete=True)

    closed = School.objects.get(uai=uai)
    assert closed.history.first().status == "ferme"
    assert closed.history.first().history_change_reason == "système"


def test_the_collectivites_import_writes_history_and_journal(db, tmp_path):
    for insee_code in ["12202", "11260", "11203"]:
        CommuneFactory(insee_code=insee_code)

    call_command("import_collectivites", str(write_csv(tmp_path / "c.csv", HEADER, rows())))

    rodez = Collectivite.objects.get(name="COMMUNE DE RODEZ")
    assert rodez.history.filter(history_change_reason="commande import_collectivites").exists()
    entry = JournalEntry.objects.get(event=JournalEvent.IMPORT_COLLECTIVITES)
    assert entry.data["created"] == 2


def test_a_dry_run_import_writes_no_history(db, tmp_path):
    for insee_code in ["12202", "11260", "11203"]:
        CommuneFactory(insee_code=insee_code)

    import_collectivites(write_csv(tmp_path / "c.csv", HEADER, rows()), dry_run=True)

    assert Collectivite.history.count() == 0
    assert JournalEntry.objects.count() == 0


def test_cancelling_keeps_the_freed_schools_in_history(db):
    from tests.titres_helpers import sign

    convention = complete_convention(school_count=2)
    sign(convention)

    convention.transition_to("annulee", reason="erreur")

    assert Enrollment.history.filter(history_type="~", active=False).count() == 2
    assert Convention.objects.get().enrollments.filter(active=True).count() == 0


def test_the_timeline_includes_the_titre_events(db):
    from conventions import billing
    from conventions.timeline import convention_steps
    from tests.titres_helpers import sign

    convention = complete_convention(school_count=1)
    sign(convention)
    titre = billing.issue_titre(convention)
    billing.mark_paid(titre, paid_on=titre.issue_date)

    labels = [step.label for step in convention_steps(convention)]

    assert labels[0] == "convention créée"
    assert "titre de perception émis" in labels
    assert labels[-1] == "titre de perception payé"


def test_the_timeline_shows_the_mairies_read_receipts(db):
    from conventions.timeline import convention_steps

    convention = complete_convention(school_count=1)
    convention.record_first("link_opened_at")
    convention.record_first("pdf_downloaded_at")

    labels = [step.label for step in convention_steps(Convention.objects.get())]

    assert "lien privé ouvert par la collectivité" in labels
    assert "PDF téléchargé par la collectivité" in labels
