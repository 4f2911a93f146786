import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conventions.models import Convention, Reminder, ReminderEmail
from tests.factories import ConventionFactory, TariffFactory, enroll
from tests.portal_helpers import mark_issued

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

CHANGELIST = reverse("admin:conventions_convention_changelist")


def with_link(**kwargs):
    """An issued convention whose link was sent; returns (convention, token)."""
    convention = ConventionFactory(**kwargs)
    TariffFactory(school_year=convention.school_year, academie=convention.academie)
    enroll(convention, 1)
    mark_issued(convention)
    token = convention.new_access_link()
    # Sent a month ago: reminders dated since then count.
    Convention.objects.filter(pk=convention.pk).update(
        link_sent_at=timezone.now() - datetime.timedelta(days=31), status="envoyee"
    )
    convention.refresh_from_db()
    return convention, token


def remind(convention, rank, days_ago=0):
    sent_at = timezone.now() - datetime.timedelta(days=days_ago)
    email = ReminderEmail.objects.create(
        collectivite=convention.collectivite,
        day=timezone.localdate(sent_at),
        sent_at=sent_at,
        recipients=["mairie@exemple.fr"],
    )
    Reminder.objects.create(email=email, convention=convention, rank=rank, sent_at=sent_at)


def test_first_opening_and_first_download_are_recorded_once(client):
    convention, token = with_link()
    assert convention.link_opened_at is None

    assert client.get(reverse("conventions:portal", args=[token])).status_code == 200
    convention.refresh_from_db()
    opened = convention.link_opened_at
    assert opened is not None
    assert convention.pdf_downloaded_at is None

    client.get(reverse("conventions:portal", args=[token]))
    response = client.get(reverse("conventions:portal_pdf", args=[token]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    convention.refresh_from_db()
    assert convention.link_opened_at == opened
    downloaded = convention.pdf_downloaded_at
    assert downloaded is not None

    response = client.get(reverse("conventions:portal_pdf", args=[token]))
    b"".join(response.streaming_content)
    convention.refresh_from_db()
    assert convention.pdf_downloaded_at == downloaded


def test_a_dead_link_records_nothing(client):
    convention, token = with_link()
    convention.revoke_access_link()
    assert client.get(reverse("conventions:portal", args=[token])).status_code == 404
    convention.refresh_from_db()
    assert convention.link_opened_at is None


def test_list_and_page_show_the_receipts(admin_client, client):
    opened, token = with_link()
    never, _ = with_link()
    client.get(reverse("conventions:portal", args=[token]))
    today = timezone.localdate()

    content = admin_client.get(CHANGELIST).content.decode()
    assert "jamais ouverte" in content
    assert f"ouverte le {today.day if today.day > 1 else '1er'}" in content

    page = admin_client.get(reverse("admin:conventions_convention_change", args=[opened.pk]))
    assert "ouverte le" in page.content.decode()
    assert "PDF jamais téléchargé" in page.content.decode()
    page = admin_client.get(reverse("admin:conventions_convention_change", args=[never.pk]))
    assert "jamais ouverte" in page.content.decode()
    assert "aucune relance" in page.content.decode()


def listed(admin_client, **params):
    response = admin_client.get(CHANGELIST, params)
    assert response.status_code == 200
    return {convention.pk for convention in response.context["cl"].result_list}


def test_filters(admin_client, client):
    never, _ = with_link()
    opened, token = with_link()
    client.get(reverse("conventions:portal", args=[token]))
    downloaded, token = with_link()
    response = client.get(reverse("conventions:portal_pdf", args=[token]))
    b"".join(response.streaming_content)
    reminded, _ = with_link()
    remind(reminded, 1)
    to_call, _ = with_link()
    remind(to_call, 1, days_ago=15)
    remind(to_call, 2)
    signed, _ = with_link()
    remind(signed, 1, days_ago=15)
    remind(signed, 2)
    signed.transition_to("signee_collectivite")

    assert listed(admin_client, lecture="jamais") == {never.pk, reminded.pk, to_call.pk, signed.pk}
    assert listed(admin_client, lecture="ouverte") == {opened.pk}
    assert listed(admin_client, lecture="pdf") == {downloaded.pk}
    assert listed(admin_client, relances="relancee") == {reminded.pk, to_call.pk}
    assert listed(admin_client, relances="telephone") == {to_call.pk}


def test_list_query_count_does_not_grow_with_reminders(admin_client):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(CHANGELIST).status_code == 200
        return len(queries)

    first, _ = with_link()
    remind(first, 1)
    count()
    with_one = count()
    for _ in range(5):
        convention, _ = with_link()
        remind(convention, 1, days_ago=15)
        remind(convention, 2)
    assert count() == with_one
