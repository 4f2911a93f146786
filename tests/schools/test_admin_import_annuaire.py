import pytest
from django.core.management import call_command
from django.urls import reverse

from schools.models import School
from tests.schools.annuaire_rows import OCCITANIE, read_rows, write


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)


def upload(admin_client, path, **options):
    with path.open("rb") as file:
        return admin_client.post(
            reverse("admin:schools_school_import"),
            {"import_file": file, "format": "0", "resource": "0", **options},
        )


def test_the_changelist_links_to_the_import(reference, admin_client):
    response = admin_client.get(reverse("admin:schools_school_changelist"))
    assert reverse("admin:schools_school_import") in response.content.decode()


def test_upload_previews_then_confirm_imports(reference, admin_client):
    response = upload(admin_client, OCCITANIE)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Écoles créées : 449" in content
    assert "0820178Y" in content
    assert "Confirmer l'import" in content
    assert School.objects.count() == 0

    confirm = response.context["confirm_form"]
    response = admin_client.post(
        reverse("admin:schools_school_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
        follow=True,
    )

    assert School.objects.count() == 449
    assert "449 écoles créées" in response.content.decode()


def test_a_refused_file_shows_the_french_message_and_no_confirm(reference, admin_client, tmp_path):
    header, rows = read_rows()
    path = write(tmp_path / "ansi.csv", header, rows, encoding="cp1252")

    response = upload(admin_client, path)

    content = response.content.decode()
    assert "Import refusé" in content
    assert "« ansi.csv » n&#x27;est pas encodé en UTF-8 : ligne 2" in content
    assert "Confirmer l'import" not in content
    assert School.objects.count() == 0
