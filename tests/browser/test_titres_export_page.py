"""The titres' export page says what it exports and offers a clear format choice."""

import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import permissions_helpers as h
from tests.browser.conftest import log_in
from tests.roles import make_user

pytestmark = pytest.mark.browser


def test_the_export_page_is_in_french_and_downloads_xlsx_by_default(
    page, live_server, live_seed_data, screenshot
):
    titre = h.issued_titre()
    log_in(page, live_server, make_user("comptabilite"))
    page.get_by_role("link", name="Titres de perception").first.click()

    page.get_by_role("link", name="Exporter").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Exporter les titres de perception")
    expect(page.locator("#content")).to_contain_text("1 titre de perception")
    file_format = page.get_by_label("Format du fichier")
    expect(file_format.locator("option")).to_have_text(
        ["Excel (xlsx)", "CSV pour Excel ou un logiciel comptable (csv)"]
    )
    expect(file_format.locator("option:checked")).to_have_text("Excel (xlsx)")
    expect(page.locator("#content")).not_to_contain_text("---")
    screenshot("export")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger l'export").click()
    download = download_info.value
    assert download.suggested_filename == f"titres-{timezone.localdate():%Y-%m-%d}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert titre.number in [row[0] for row in book["Titres"].iter_rows(values_only=True)]
