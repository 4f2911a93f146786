"""One académie's worth of objects for the scope tests: what an agent of Toulouse must
reach and an agent of Montpellier must not (and the other way round)."""

from datetime import date

from django.core.files.base import ContentFile
from django.core.management import call_command

from conventions import billing
from conventions.enums import ConventionStatus
from conventions.models import Convention, ConventionTemplate, Signatory, Tariff
from schools.models import School
from tests.portal_helpers import make_pdf, mark_issued

ACADEMIES = ["16", "11"]
# (draft, issued) conventions of the demo data, by commune INSEE code.
CONVENTIONS = {"16": ("31118", "12202"), "11": ("11260", "66049")}


def load_world():
    call_command("loaddata", "reference", "demo", "convention_templates", verbosity=0)
    world = {}
    for code, (draft_insee, issued_insee) in CONVENTIONS.items():
        draft = Convention.objects.get(commune__insee_code=draft_insee)
        issued = mark_issued(Convention.objects.get(commune__insee_code=issued_insee))
        issued.signed_pdf.save("signee.pdf", ContentFile(make_pdf()))
        issued.transition_to(ConventionStatus.SIGNEE_COLLECTIVITE)
        issued.transition_to(ConventionStatus.SIGNEE_ACADEMIE)
        titre = billing.issue_titre(issued, on=date(2026, 11, 23))
        issued.refresh_from_db()
        world[code] = {
            "draft": draft,
            "issued": issued,
            "titre": titre,
            "tariff": Tariff.objects.filter(academie__code=code).first(),
            "signatory": Signatory.objects.filter(academie__code=code).first(),
            "template": ConventionTemplate.objects.filter(academie__code=code).first(),
            "collectivite": issued.collectivite,
            "commune": issued.commune,
            "school": School.objects.filter(commune__departement__academie__code=code).first(),
            "academie": issued.academie,
            "departement": issued.commune.departement,
        }
    return world
