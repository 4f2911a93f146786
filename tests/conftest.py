import pytest
from django.conf import settings
from django.core.management import call_command


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    # Tests run with the production static storage (hashed manifest), so it must exist.
    if not (settings.STATIC_ROOT / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def seed_data(db):
    """The reference and demo fixtures, as `make run` loads them."""
    call_command("loaddata", "reference", "demo", verbosity=0)


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch):
    # Issued PDFs go to a throw-away folder, never to the developer's private/ directory.
    # The field resolved its storage callable at import time, hence the patch on the field.
    from django.core.files.storage import FileSystemStorage

    from conventions.models import Convention

    storage = FileSystemStorage(location=tmp_path / "private", base_url=None)
    monkeypatch.setattr(Convention._meta.get_field("pdf"), "storage", storage)
    return storage
