"""A staff member uploads a damaged or oversized collectivités file in the admin: the page
lists the first 100 errors and their total, or says which limit the file exceeds; nothing is
imported."""

import pytest

from communes.models import Collectivite
from tests.browser.conftest import log_in
from tests.communes.test_import_collectivites import HEADER, write_csv
from tests.communes.test_import_collectivites_limits import bad_sirets
from tests.roles import make_user

pytestmark = pytest.mark.browser


def upload(page, live_server, path, file_format="csv"):
    log_in(page, live_server, make_user("superuser"))
    page.get_by_role("link", name="Collectivités", exact=True).click()
    page.get_by_role("link", name="Importer").click()
    page.get_by_label("fichier à importer").set_input_files(path)
    page.get_by_label("Format").select_option(label=file_format)
    page.get_by_role("button", name="Vérifier le fichier").click()


def test_a_file_with_150_bad_rows_lists_100_errors_and_the_total(
    page, live_server, live_seed_data, screenshot, tmp_path
):
    path = write_csv(tmp_path / "abime.csv", HEADER, bad_sirets(150))
    before = Collectivite.objects.count()

    upload(page, live_server, path)

    page.get_by_role("heading", name="Import refusé").wait_for()
    screenshot("erreurs")
    assert page.get_by_text("150 erreurs, rien n'a été enregistré").is_visible()
    assert page.get_by_text("… et 50 autres erreurs (150 au total)").is_visible()
    assert page.get_by_text("abime.csv, ligne 101, colonne « SIRET »").count() == 1
    assert page.get_by_text("abime.csv, ligne 102, colonne « SIRET »").count() == 0
    assert not page.get_by_role("button", name="Confirmer l'import").count()
    assert Collectivite.objects.count() == before


def test_a_file_over_the_size_limit_is_refused(
    page, live_server, live_seed_data, screenshot, tmp_path, settings
):
    settings.IMPORT_MAX_FILE_SIZE = 20_000
    path = write_csv(tmp_path / "gros.csv", HEADER, bad_sirets(200))

    upload(page, live_server, path)

    page.get_by_role("heading", name="Import refusé").wait_for()
    screenshot("trop-gros")
    assert page.get_by_text("au-delà de la limite de 0,02 Mo").is_visible()
