import threading

import pytest
from django.conf import settings
from django.db import connections

from conventions.enums import ConventionStatus
from conventions.issuing import issue
from conventions.models import Convention
from conventions.pdf import ConventionDocument
from tests.factories import CommuneFactory, ConventionFactory, complete_convention, enroll

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="SQLite serialises every write transaction: row locks can only be proven on "
    "PostgreSQL (DATABASE_URL=postgres://…)",
)
@pytest.mark.django_db(transaction=True)
def test_issuing_one_convention_does_not_hold_up_another_of_the_same_year(monkeypatch):
    # Parallel workers issue conventions that share their school year and académie: while
    # one is being rendered, inside its transaction, the other must go through.
    first = complete_convention()
    second = ConventionFactory(
        school_year=first.school_year,
        commune=CommuneFactory(departement=first.commune.departement),
    )
    enroll(second)
    assert second.academie == first.academie
    rendering, release = threading.Event(), threading.Event()
    render = ConventionDocument.render

    def slow_render(document, *, draft):
        if document.convention.pk == first.pk:
            rendering.set()
            release.wait(timeout=30)
        return render(document, draft=draft)

    monkeypatch.setattr(ConventionDocument, "render", slow_render)
    outcomes = {}

    def issuer(convention):
        try:
            outcomes[convention.pk] = issue(Convention(pk=convention.pk)).status
        except Exception as error:  # reported by the main thread
            outcomes[convention.pk] = error
        finally:
            connections.close_all()

    held = threading.Thread(target=issuer, args=(first,))
    held.start()
    assert rendering.wait(timeout=30)
    other = threading.Thread(target=issuer, args=(second,))
    other.start()
    other.join(timeout=20)
    went_through = not other.is_alive()
    release.set()
    held.join()
    other.join()

    assert went_through, "the second convention waited for the first one's transaction"
    assert outcomes == {first.pk: ConventionStatus.EMISE, second.pk: ConventionStatus.EMISE}
