import json

import pytest
from django.conf import settings
from django.core.management import call_command


def static_is_stale():
    from django.contrib.staticfiles.finders import get_finders

    manifest = settings.STATIC_ROOT / "staticfiles.json"
    if not manifest.exists():
        return True
    known = json.loads(manifest.read_text())["paths"]
    collected_at = manifest.stat().st_mtime
    for finder in get_finders():
        for path, storage in finder.list([]):
            if path not in known or storage.get_modified_time(path).timestamp() > collected_at:
                return True
    return False


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    # Tests run with the production static storage (hashed manifest): it must exist and
    # know every file, or {% static %} fails.
    if static_is_stale():
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

    location = tmp_path / "private"
    storage = FileSystemStorage(location=location, base_url=None)
    # Every private FileField (issued PDF, signed copy) resolved its storage at import time.
    for field in Convention._meta.get_fields():
        if getattr(field, "storage", None) is not None and hasattr(field, "upload_to"):
            monkeypatch.setattr(field, "storage", storage)
    return storage


@pytest.fixture(autouse=True)
def empty_cache():
    # Rate limits count in the cache: each test starts with none spent.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def second_factor_optional(settings):
    # Tests run with DEBUG=0, where every staff login asks for a code: the tests of everything
    # else log in with the password alone, as in the demo. The second factor's own tests
    # (test_two_factor.py, browser/test_two_factor.py) require it again.
    settings.OTP_REQUIRED = False


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 (tests/smtp_server.py); Django's mail goes through it."""
    from tests.smtp_server import SMTPServer

    server = SMTPServer().start()
    settings.MAILERS = server.mailers()
    yield server
    server.stop()
