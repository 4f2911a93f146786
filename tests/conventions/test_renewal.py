"""The yearly campaign: renew_conventions and its rules."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communes.models import Academie
from conventions.enums import ConventionStatus
from conventions.models import Convention, Enrollment, SchoolYear
from conventions.renewal import RenewalRefused, plan_renewal, renew, report_lines
from schools.enums import SchoolStatus
from tests.factories import (
    AcademieFactory,
    CommuneFactory,
    ConventionFactory,
    ConventionTemplateFactory,
    DepartementFactory,
    SchoolFactory,
    SchoolYearFactory,
    SignatoryFactory,
    TariffFactory,
    enroll,
)

pytestmark = pytest.mark.django_db

BEFORE_RENTREE = datetime.date(2027, 5, 1)


def target_year(rate=Decimal("42.00"), academie=None):
    year = SchoolYearFactory(label="2027-2028", end_date=datetime.date(2028, 9, 5))
    academie = academie or AcademieFactory()
    TariffFactory(school_year=year, academie=academie, rate=rate)
    SignatoryFactory(school_year=year, academie=academie)
    ConventionTemplateFactory(school_year=year)
    return year


def source_convention(count=2, **kwargs):
    convention = ConventionFactory(school_year=SchoolYearFactory(), **kwargs)
    enroll(convention, count)
    return convention


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("renew_conventions", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def before_rentree(monkeypatch):
    # The campaign is prepared in spring: these tests run as if on 1 May 2027.
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: BEFORE_RENTREE)


def test_renews_each_live_convention_as_a_draft_with_its_schools():
    convention = source_convention(3)
    target_year(rate=Decimal("42.00"))

    output = run("--from", "2026-2027", "--to", "2027-2028", "--verbosity", "2")

    renewed = Convention.objects.get(school_year__label="2027-2028")
    assert renewed.status == ConventionStatus.BROUILLON
    assert renewed.document_date == BEFORE_RENTREE  # issuing refuses an undated draft
    assert renewed.collectivite == convention.collectivite
    assert renewed.commune == convention.commune
    assert set(renewed.schools.all()) == set(convention.schools.all())
    assert "1 convention créée en brouillon, 3 écoles." in output
    assert "Montant attendu, académie de Toulouse : 126,00\xa0€ (1 convention, 3 écoles)" in output
    assert "Conventions créées en brouillon :" in output
    assert f"{convention.collectivite} : 3 écoles, 126,00\xa0€" in output


def test_cancelled_conventions_are_not_renewed():
    convention = source_convention()
    Convention.objects.filter(pk=convention.pk).update(status=ConventionStatus.ANNULEE)
    target_year()

    output = run("--from", "2026-2027", "--to", "2027-2028")

    assert not Convention.objects.filter(school_year__label="2027-2028").exists()
    assert "Aucune convention à créer" in output


def test_closed_school_is_left_out_and_reported():
    convention = source_convention(2)
    closed = convention.schools.first()
    closed.status = SchoolStatus.FERME
    closed.save()
    target_year()

    output = run("--from", "2026-2027", "--to", "2027-2028")

    renewed = Convention.objects.get(school_year__label="2027-2028")
    assert closed not in renewed.schools.all()
    assert renewed.schools.count() == 1
    assert f"{closed.name} ({closed.uai}), fermée dans l'annuaire" in output


def test_school_moved_to_another_commune_is_left_out_and_reported():
    convention = source_convention(2)
    moved = convention.schools.first()
    elsewhere = CommuneFactory(name="Ailleurs")
    moved.commune = elsewhere
    moved.save()
    target_year()

    output = run("--from", "2026-2027", "--to", "2027-2028")

    renewed = Convention.objects.get(school_year__label="2027-2028")
    assert moved not in renewed.schools.all()
    assert f"située désormais à Ailleurs ({elsewhere.insee_code})" in output


def test_school_opened_since_is_proposed_not_enrolled():
    convention = source_convention(1)
    opened = SchoolFactory(commune=convention.commune, name="Ecole primaire publique Neuve")
    target_year()

    output = run("--from", "2026-2027", "--to", "2027-2028")

    renewed = Convention.objects.get(school_year__label="2027-2028")
    assert opened not in renewed.schools.all()
    assert "Écoles à proposer, non inscrites (1) :" in output
    assert f"Ecole primaire publique Neuve ({opened.uai})" in output


def test_second_run_creates_nothing_and_says_so():
    source_convention(2)
    target_year()
    run("--from", "2026-2027", "--to", "2027-2028")

    output = run("--from", "2026-2027", "--to", "2027-2028")

    assert Convention.objects.filter(school_year__label="2027-2028").count() == 1
    assert Enrollment.objects.filter(school_year__label="2027-2028").count() == 2
    assert "Aucune convention à créer : rien n'a été créé (1 commune ignorée)." in output
    assert "a déjà une convention pour 2027-2028" in output


def test_commune_with_a_live_convention_in_the_target_year_is_skipped():
    convention = source_convention(2)
    year = target_year()
    existing = ConventionFactory(
        commune=convention.commune, collectivite=convention.collectivite, school_year=year
    )
    other = source_convention(1)

    output = run("--from", "2026-2027", "--to", "2027-2028")

    assert f"{convention.commune.name} ({convention.commune.insee_code}) : a déjà une " in output
    assert existing.reference in output
    assert Convention.objects.filter(school_year=year, commune=other.commune).exists()
    assert Convention.objects.filter(school_year=year).count() == 2


def test_a_cancelled_target_convention_does_not_block_and_the_number_follows():
    convention = source_convention(1)
    year = target_year()
    ConventionFactory(
        commune=convention.commune, school_year=year, status=ConventionStatus.ANNULEE
    )

    run("--from", "2026-2027", "--to", "2027-2028")

    renewed = Convention.objects.active().get(school_year=year)
    assert renewed.number == 2


def test_school_already_enrolled_in_the_target_year_is_left_out():
    convention = source_convention(2)
    year = target_year()
    school = convention.schools.first()
    elsewhere = ConventionFactory(school_year=year)
    Enrollment.objects.create(convention=elsewhere, school=school, school_year=year)

    output = run("--from", "2026-2027", "--to", "2027-2028")

    assert f"déjà inscrite dans la convention de {elsewhere.commune.name}" in output
    assert Enrollment.objects.filter(school=school, school_year=year).count() == 1


def test_missing_references_are_listed_in_one_message_and_nothing_is_written():
    source_convention(1)
    montpellier = AcademieFactory(code="11", name="Montpellier", signing_city="Montpellier")
    herault = DepartementFactory(code="034", name="Hérault", academie=montpellier)
    source_convention(1, commune=CommuneFactory(departement=herault))
    year = SchoolYearFactory(label="2027-2028")
    TariffFactory(school_year=year, academie=Academie.objects.get(code="16"))

    with pytest.raises(CommandError) as refused:
        run("--from", "2026-2027", "--to", "2027-2028")

    assert str(refused.value) == (
        "Campagne 2027-2028 impossible, rien n'a été créé. Il manque : "
        "le tarif 2027-2028 de l'académie de Montpellier ; "
        "le signataire 2027-2028 de l'académie de Montpellier ; "
        "le modèle de convention 2027-2028 de l'académie de Montpellier ; "
        "le signataire 2027-2028 de l'académie de Toulouse ; "
        "le modèle de convention 2027-2028 de l'académie de Toulouse."
    )
    assert not Convention.objects.filter(school_year=year).exists()


def test_missing_target_year_says_how_to_create_it():
    source_convention(1)

    with pytest.raises(CommandError, match="l'année scolaire 2027-2028 \\(à créer dans"):
        run("--from", "2026-2027", "--to", "2027-2028")

    assert not SchoolYear.objects.filter(label="2027-2028").exists()


def test_academie_option_renews_only_that_academie():
    source_convention(1)
    montpellier = AcademieFactory(code="11", name="Montpellier", signing_city="Montpellier")
    herault = DepartementFactory(code="034", name="Hérault", academie=montpellier)
    source_convention(1, commune=CommuneFactory(departement=herault))
    target_year(academie=montpellier)  # Toulouse's references are missing: not concerned

    output = run("--from", "2026-2027", "--to", "2027-2028", "--academie", "11")

    assert list(
        Convention.objects.filter(school_year__label="2027-2028").values_list(
            "academie__code", flat=True
        )
    ) == ["11"]
    assert "1 convention créée en brouillon, 1 école." in output
    assert "(1 convention, 1 école)" in output


def test_dry_run_writes_nothing():
    source_convention(2)
    target_year()

    output = run("--from", "2026-2027", "--to", "2027-2028", "--dry-run")

    assert "simulation : rien n'a été écrit" in output
    assert "1 convention à créer, 2 écoles." in output
    assert not Convention.objects.filter(school_year__label="2027-2028").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--from", "2027-2028", "--to", "2026-2027"],
            "L'année cible 2026-2027 doit suivre l'année reconduite 2027-2028",
        ),
        (["--from", "2026-2027", "--to", "2027-2029"], "« 2027-2029 » invalide"),
        (["--from", "2026-27", "--to", "2027-2028"], "« 2026-27 » invalide"),
        (
            ["--from", "2019-2020", "--to", "2027-2028"],
            "L'année scolaire 2019-2020 est inconnue",
        ),
        (
            ["--from", "2026-2027", "--to", "2027-2028", "--academie", "99"],
            "Académie « 99 » inconnue : indiquez 16 (Toulouse).",
        ),
        (
            ["--from", "2025-2026", "--to", "2026-2027"],
            "L'année scolaire 2026-2027 a déjà commencé (rentrée du 01/09/2026)",
        ),
    ],
)
def test_bad_input_is_refused_in_french_and_writes_nothing(args, message):
    SchoolYearFactory(label="2025-2026")
    source_convention(1)
    target_year()
    before = Convention.objects.count()

    with pytest.raises(CommandError) as refused:
        run(*args)

    assert message in str(refused.value)
    assert Convention.objects.count() == before


def test_exit_code_is_not_zero_on_bad_input():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "renew_conventions", "--from", "2027-2028", "--to", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "« x » invalide" in result.stderr


def test_all_or_nothing_when_a_write_fails(monkeypatch):
    source_convention(1)
    source_convention(1)
    target_year()

    def failing_bulk_create(objs, *args, **kwargs):
        list(objs)
        raise RuntimeError("disque plein")

    monkeypatch.setattr(Enrollment.objects, "bulk_create", failing_bulk_create)
    with pytest.raises(RuntimeError):
        renew("2026-2027", "2027-2028")

    assert not Convention.objects.filter(school_year__label="2027-2028").exists()


def test_amount_is_decimal_per_academie():
    source_convention(2)
    source_convention(3)
    year = target_year(rate=Decimal("41.50"))

    plan = renew("2026-2027", "2027-2028", dry_run=True)

    [(academie, conventions, schools, amount)] = plan.amounts()
    assert (academie.code, conventions, schools) == ("16", 2, 5)
    assert amount == Decimal("207.50") and isinstance(amount, Decimal)
    assert year.pk == plan.target_year.pk
    lines = report_lines(plan)
    assert "2 conventions à créer, 5 écoles." in lines
    assert "Conventions à créer :" in lines
    assert sorted(line.split(" : ")[-1] for line in lines if line.startswith("  - ")) == [
        "2 écoles, 83,00\xa0€",
        "3 écoles, 124,50\xa0€",
    ]
    assert "  Montant attendu, académie de Toulouse : 207,50\xa0€ (2 conventions, 5 écoles)" in (
        lines
    )


def test_several_communes_skipped_are_counted_in_french():
    source_convention(2)
    source_convention(1)
    target_year()
    run("--from", "2026-2027", "--to", "2027-2028")

    output = run("--from", "2026-2027", "--to", "2027-2028")

    assert "Aucune convention à créer : rien n'a été créé (2 communes ignorées)." in output


def queries_for(count):
    for _ in range(count):
        convention = source_convention(3)
        closed, moved, _ = convention.schools.all()
        closed.status = SchoolStatus.FERME
        closed.save()
        moved.commune = CommuneFactory()
        moved.save()
        SchoolFactory(commune=convention.commune)  # to propose
    skipped = source_convention(1)
    ConventionFactory(
        commune=skipped.commune, school_year=SchoolYear.objects.get(label="2027-2028")
    )
    with CaptureQueriesContext(connection) as queries:
        plan = renew("2026-2027", "2027-2028")
        lines = report_lines(plan, list_created=True)
    assert (len(plan.renewals), len(plan.dropped), len(plan.to_propose)) == (
        count,
        2 * count,
        count,
    )
    assert len(plan.skipped) == 1 and len(lines) > 4 * count
    Convention.objects.all().delete()
    return len(queries)


def test_query_count_does_not_grow_with_the_conventions():
    target_year()
    assert queries_for(2) == queries_for(6)


def test_plan_reads_only():
    source_convention(2)
    target_year()
    source = SchoolYear.objects.get(label="2026-2027")
    with CaptureQueriesContext(connection) as queries:
        plan_renewal(source, "2027-2028", SchoolYear.objects.get(label="2027-2028"))
    assert queries and all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries)


def test_refusal_is_a_renewal_refused():
    with pytest.raises(RenewalRefused):
        renew("2026-2027", "2026-2027")


def test_a_conflicting_write_meanwhile_undoes_the_run_with_a_french_message(monkeypatch):
    from django.db import IntegrityError

    source_convention(1)
    source_convention(1)
    target_year()

    def conflicting_bulk_create(objs, *args, **kwargs):
        list(objs)
        raise IntegrityError("one_enrollment_per_school_and_year")

    monkeypatch.setattr(Enrollment.objects, "bulk_create", conflicting_bulk_create)
    with pytest.raises(RenewalRefused, match="a été créée pendant la campagne : rien n'a été"):
        renew("2026-2027", "2027-2028")

    assert not Convention.objects.filter(school_year__label="2027-2028").exists()
