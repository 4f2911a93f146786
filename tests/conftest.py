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
