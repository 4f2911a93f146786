"""The confirm step of an admin import names the uploaded file in a hidden field: only a name
this session's own upload produced is accepted, never another file of the temporary folder
(which would be parsed, then deleted)."""

import tempfile
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from communes.models import Collectivite
from schools.models import School
from tests.communes.test_import_collectivites import HEADER, rows, write_csv
from tests.factories import CommuneFactory
from tests.roles import make_user
from tests.schools.annuaire_rows import read_rows, row_of, write

ADMINS = ["communes_collectivite", "schools_school"]


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)
    CommuneFactory(insee_code="12202", name="Rodez")
    CommuneFactory(insee_code="11260", name="Mouthoumet")
    CommuneFactory(insee_code="11203", name="Lézignan-Corbières")


def good_file(admin, folder):
    if admin == "communes_collectivite":
        return write_csv(folder / "liste.csv", HEADER, rows())
    header, lines = read_rows()
    return write(folder / "annuaire.csv", header, [row_of(lines, "0820178Y")])


@pytest.fixture
def victim(request, tmp_path_factory):
    """A file of the temporary folder that is not an upload: a valid import file, so that
    parsing it would import it."""
    path = good_file(request.getfixturevalue("admin_name"), tmp_path_factory.mktemp("source"))
    target = Path(tempfile.gettempdir()) / f"victim-{uuid.uuid4().hex}"
    target.write_bytes(path.read_bytes())
    yield target
    target.unlink(missing_ok=True)


def uploaded_confirm(client, admin, path):
    with path.open("rb") as file:
        response = client.post(
            reverse(f"admin:{admin}_import"), {"import_file": file, "format": "0", "resource": "0"}
        )
    confirm = response.context["confirm_form"]
    return {name: confirm[name].value() for name in confirm.fields}


def nothing_imported():
    return not Collectivite.objects.exists() and not School.objects.exists()


@pytest.mark.parametrize("admin_name", ADMINS)
@pytest.mark.parametrize(
    "crafted", ["../../tmp/{victim}", "{victim}", "/tmp/{victim}", "{victim}:forged:signature"]
)
def test_a_crafted_file_name_is_refused_and_deletes_nothing(
    reference, admin_client, admin_name, victim, crafted, tmp_path
):
    data = uploaded_confirm(admin_client, admin_name, good_file(admin_name, tmp_path))
    data["import_file_name"] = crafted.format(victim=victim.name)

    response = admin_client.post(reverse(f"admin:{admin_name}_process_import"), data)

    assert response.status_code == 403
    assert "le fichier à importer n'a pas été déposé dans cette session" in response.text
    assert victim.exists()
    assert nothing_imported()


@pytest.mark.parametrize("admin_name", ADMINS)
def test_another_accounts_upload_is_refused(reference, admin_client, admin_name, tmp_path):
    data = uploaded_confirm(admin_client, admin_name, good_file(admin_name, tmp_path))
    other = Client()
    other.force_login(make_user("superuser", username="autre-agent"))

    response = other.post(reverse(f"admin:{admin_name}_process_import"), data)

    assert response.status_code == 403
    assert nothing_imported()
    # The owner may still confirm their own upload.
    response = admin_client.post(reverse(f"admin:{admin_name}_process_import"), data)
    assert response.status_code == 302
    assert not nothing_imported()
