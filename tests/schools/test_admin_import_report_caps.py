"""The admin's import pages list at most 100 items of a long list, then the total."""

from django.contrib.messages import get_messages
from django.urls import reverse

from conventions.models import Convention
from schools.models import School
from tests.factories import enroll
from tests.schools.annuaire_rows import OCCITANIE


def test_a_complete_import_closing_120_enrolled_schools_warns_about_100_and_the_total(
    seed_data, admin_client
):
    ceret = Convention.objects.get(commune__name="Céret", school_year__label="2026-2027")
    enroll(ceret, 120)
    with OCCITANIE.open("rb") as file:
        response = admin_client.post(
            reverse("admin:schools_school_import"),
            {"import_file": file, "format": "0", "resource": "0", "complete": "on"},
        )
    report = response.content.decode()
    assert "Écoles fermées (absentes d&#x27;un import complet) : 120" in report
    assert "… et 20 autres écoles (120 au total)" in report
    assert "… et 20 autres conventions (120 au total)" in report

    confirm = response.context["confirm_form"]
    response = admin_client.post(
        reverse("admin:schools_school_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
    )

    warnings = [str(message) for message in get_messages(response.wsgi_request)][1:]
    assert len(warnings) == 101
    assert warnings[-1] == (
        "Conventions d'une année en cours à revoir : … et 20 autres conventions (120 au total)"
    )
    assert School.objects.filter(status="ferme").count() == 120
