from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from communes.models import Academie, Commune, Departement
from conventions.models import Convention
from schools.annuaire import SKIP_NOT_SCHOOL, SKIP_OTHER_ACADEMIE, import_annuaire
from schools.models import School
from tests.schools.annuaire_rows import OCCITANIE, VAL_DE_MARNE, read_rows, set_value, write

# Expected counts, checked by hand on the extract with awk (no field of the file holds a `;`
# inside quotes, so -F';' splits it right; $3 Type_etablissement, $11 Code_departement,
# $14 Ecole_maternelle, $62 code_nature; the extract only has natures 101 and 151 for écoles):
#   awk -F';' 'NR>1 && $3=="Ecole" {k = $62=="101" ? "maternelle" : ($14=="1" ? "primaire"
#       : "elementaire"); c[$11" "k]++} END {for (x in c) print x, c[x]}' \
#       ../shared/data/annuaire-occitanie-extrait-2024-11.csv | sort
EXPECTED_BY_DEPARTEMENT_AND_KIND = {
    ("009", "elementaire"): 7, ("009", "maternelle"): 2, ("009", "primaire"): 3,
    ("011", "elementaire"): 9, ("011", "maternelle"): 3, ("011", "primaire"): 13,
    ("012", "elementaire"): 6, ("012", "maternelle"): 3, ("012", "primaire"): 27,
    ("030", "elementaire"): 19, ("030", "maternelle"): 13, ("030", "primaire"): 15,
    ("031", "elementaire"): 25, ("031", "maternelle"): 29, ("031", "primaire"): 33,
    ("032", "elementaire"): 3, ("032", "maternelle"): 8, ("032", "primaire"): 8,
    ("034", "elementaire"): 25, ("034", "maternelle"): 21, ("034", "primaire"): 27,
    ("046", "elementaire"): 6, ("046", "maternelle"): 8, ("046", "primaire"): 9,
    ("048", "maternelle"): 1, ("048", "primaire"): 6,
    ("065", "elementaire"): 6, ("065", "maternelle"): 7, ("065", "primaire"): 17,
    ("066", "elementaire"): 14, ("066", "maternelle"): 7, ("066", "primaire"): 10,
    ("081", "maternelle"): 1, ("081", "primaire"): 28,
    ("082", "elementaire"): 8, ("082", "maternelle"): 3, ("082", "primaire"): 19,
}  # fmt: skip


@pytest.fixture
def reference(db):
    call_command("loaddata", "reference", verbosity=0)


def writes(queries):
    return [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_every_first_degree_school_is_imported_by_departement_and_kind(reference):
    report = import_annuaire(OCCITANIE)

    assert not report.refused
    counts = {
        (row["commune__departement__code"], row["kind"]): row["n"]
        for row in School.objects.values("commune__departement__code", "kind").annotate(
            n=Count("id")
        )
    }
    assert counts == EXPECTED_BY_DEPARTEMENT_AND_KIND
    assert len(report.created) == 449
    # 630 rows: 449 écoles, 181 collèges, lycées, services and "Ecole supérieure" rows.
    assert report.skipped == {SKIP_NOT_SCHOOL: 181}
    assert School.objects.filter(sector="prive").count() == 54


def test_the_seed_schools_get_kind_sector_and_commune(reference):
    import_annuaire(OCCITANIE)

    moissac = School.objects.select_related("commune__departement").get(uai="0820178Y")
    assert (moissac.kind, moissac.sector, moissac.status) == ("elementaire", "public", "ouvert")
    assert (moissac.commune.insee_code, moissac.commune.name) == ("82112", "Moissac")
    assert (moissac.commune.postal_code, moissac.commune.departement.code) == ("82200", "082")
    assert moissac.convention_label() == "MOISSAC - 82 - E.E.PU PIERRE CHABRIE - 0820178Y"

    rodez = School.objects.get(uai="0121071Z")
    assert (rodez.kind, rodez.sector, rodez.commune.name) == ("primaire", "prive", "Rodez")
    assert rodez.name == "Ecole primaire privée Sainte-Procule"

    mouthoumet = School.objects.get(uai="0110422Z")
    assert (mouthoumet.kind, mouthoumet.sector) == ("primaire", "public")
    assert mouthoumet.commune.insee_code == "11260"
    assert mouthoumet.commune.departement.academie.code == "11"


def test_a_second_run_of_the_same_file_writes_nothing(reference):
    import_annuaire(OCCITANIE)

    with CaptureQueriesContext(connection) as queries:
        report = import_annuaire(OCCITANIE)

    assert writes(queries.captured_queries) == []
    assert (len(report.created), len(report.updated), report.unchanged) == (0, 0, 449)


def test_a_dry_run_writes_nothing_and_reports_what_would_change(reference):
    with CaptureQueriesContext(connection) as queries:
        report = import_annuaire(OCCITANIE, dry_run=True)

    assert writes(queries.captured_queries) == []
    assert School.objects.count() == 0
    assert len(report.created) == 449
    assert "Simulation : rien n'a été enregistré." in report.lines()


def test_only_the_changed_fields_are_updated_and_reported(reference, tmp_path):
    import_annuaire(OCCITANIE)
    header, rows = read_rows()
    rows = [
        set_value(header, row, "Nom_etablissement", "Ecole élémentaire Pierre Chabrié (Moissac)")
        if row[0] == "0820178Y"
        else row
        for row in rows
    ]
    changed = write(tmp_path / "annuaire.csv", header, rows)

    report = import_annuaire(changed)

    assert report.updated == [("0820178Y", "Ecole élémentaire Pierre Chabrié (Moissac)", ["name"])]
    assert report.unchanged == 448
    assert "  0820178Y Ecole élémentaire Pierre Chabrié (Moissac) : nom" in report.lines()


def test_a_name_change_leaves_an_issued_convention_as_issued(seed_data, tmp_path):
    rodez = Convention.objects.get(commune__insee_code="12202", school_year__label="2024-2025")
    labels = [school.convention_label() for school in rodez.schools.with_label_relations()]
    rodez.issued_school_labels = labels
    rodez.issued_school_count = len(labels)
    rodez.issued_rate = Decimal("45.00")
    rodez.issued_amount = Decimal("450.00")
    rodez.save()
    rodez.transition_to("emise")
    assert "RODEZ - 12 - E.P.PU CAMBON - 0120595G" in labels

    header, rows = read_rows()
    rows = [
        set_value(header, row, "Nom_etablissement", "Ecole primaire publique Jean Cambon")
        if row[0] == "0120595G"
        else row
        for row in rows
    ]
    report = import_annuaire(write(tmp_path / "annuaire.csv", header, rows))

    assert [uai for uai, _, _ in report.updated] == ["0120595G"]
    cambon = School.objects.get(uai="0120595G")
    assert cambon.convention_label() == "RODEZ - 12 - E.P.PU JEAN CAMBON - 0120595G"
    rodez.refresh_from_db()
    assert rodez.issued_school_labels == labels
    assert rodez.status == "emise"


def test_a_complete_import_closes_the_missing_schools_and_lists_open_conventions(
    seed_data, tmp_path
):
    header, rows = read_rows()
    # 0660560A, Marc Chagall in Céret, is enrolled in the Céret 2026-2027 convention (open).
    without_chagall = write(
        tmp_path / "annuaire.csv", header, [row for row in rows if row[0] != "0660560A"]
    )

    report = import_annuaire(without_chagall, complete=True)

    assert report.closed == [("0660560A", "Ecole élémentaire Marc Chagall")]
    assert School.objects.get(uai="0660560A").status == "ferme"
    assert School.objects.filter(status="ferme").count() == 1
    assert len(report.affected_conventions) == 1
    assert report.affected_conventions[0].startswith("2026-2027 – COMMUNE DE CERET (Céret")
    assert report.affected_conventions[0].endswith(
        "0660560A Ecole élémentaire Marc Chagall fermée"
    )


def test_an_import_that_is_not_complete_closes_nothing(seed_data, tmp_path):
    header, rows = read_rows()
    partial = write(
        tmp_path / "annuaire.csv", header, [row for row in rows if row[0] != "0660560A"]
    )

    report = import_annuaire(partial)

    assert report.closed == []
    assert School.objects.get(uai="0660560A").status == "ouvert"


def test_a_school_that_changed_commune_is_listed_with_its_open_convention(seed_data, tmp_path):
    header, rows = read_rows()
    rows = [
        set_value(
            header, set_value(header, row, "Code_commune", "66999"), "Nom_commune", "Ailleurs"
        )
        if row[0] == "0660178K"
        else row
        for row in rows
    ]

    report = import_annuaire(write(tmp_path / "annuaire.csv", header, rows))

    assert report.updated == [("0660178K", "Ecole maternelle Joan Miro", ["commune"])]
    assert "Ailleurs (66999)" in report.communes_created
    assert Commune.objects.get(insee_code="66999").departement.code == "066"
    assert report.affected_conventions[0].endswith("Joan Miro changée de commune")


def test_the_val_de_marne_file_imports_nothing_without_the_academie_of_creteil(reference):
    report = import_annuaire(VAL_DE_MARNE)

    assert not report.refused
    assert School.objects.count() == 0
    assert report.skipped == {SKIP_OTHER_ACADEMIE: 613}


def test_the_val_de_marne_file_with_creteil_creates_its_departement_and_a_fermer(db):
    Academie.objects.create(code="24", name="Créteil", signing_city="Créteil")

    report = import_annuaire(VAL_DE_MARNE)

    assert not report.refused
    assert len(report.created) == 613
    assert Departement.objects.get(code="094").name == "Val-de-Marne"
    # awk -F';' 'NR>1 {print $56}' (etat, 71-column header) | sort | uniq -c: 2 A FERMER.
    assert School.objects.filter(status="a_fermer").count() == 2
    # Natures 101 and 103 are maternelles (304 + 2); 151, 153 and 162 are primaires when
    # Ecole_maternelle ($14) is 1 (36 + 1), élémentaires otherwise (264 + 5 + 1).
    kinds = dict(School.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds == {"maternelle": 306, "primaire": 37, "elementaire": 270}
    assert School.objects.get(uai="0940176F").commune.name == "Fresnes"


def test_the_command_prints_a_french_report(reference, capsys):
    call_command("import_annuaire", str(OCCITANIE), "--dry-run")

    out = capsys.readouterr().out
    assert "Écoles créées : 449" in out
    assert f"  {SKIP_NOT_SCHOOL} : 181" in out
    assert School.objects.count() == 0


def test_the_command_flags_skip_invalid_and_complete(seed_data, tmp_path, capsys):
    header, rows = read_rows()
    rows = [row for row in rows if row[0] != "0660560A"]
    path = write(tmp_path / "annuaire.csv", header, rows)

    call_command("import_annuaire", str(path), "--complete", "--skip-invalid")

    out = capsys.readouterr().out
    assert "Écoles fermées (absentes d'un import complet) : 1" in out
    assert "  0660560A Ecole élémentaire Marc Chagall" in out
    assert "COMMUNE DE CERET" in out
    assert School.objects.get(uai="0660560A").status == "ferme"


def test_imported_communes_are_found_by_the_simulator_search(reference):
    import_annuaire(OCCITANIE)
    assert Commune.objects.search("ceret").filter(insee_code="66049").exists()


def test_the_address_is_kept_and_a_printed_name_survives_later_imports(reference, tmp_path):
    import_annuaire(OCCITANIE)
    mathaly = School.objects.get(uai="0820189K")
    assert mathaly.address == "Hameau de Mathaly"
    assert mathaly.convention_label() == "MOISSAC - 82 - E.P.PU HAMEAU DE MATHALY - 0820189K"
    le_bourg = School.objects.get(uai="0120224D")
    assert le_bourg.address == "LA CROIX-ROUGE"  # Adresse_2 repeats Adresse_1: kept once

    mathaly.printed_name = "Mathaly"
    mathaly.save()
    header, rows = read_rows()
    renamed = [
        set_value(header, row, "Nom_etablissement", "Ecole primaire publique")
        if row[0] == "0820189K"
        else row
        for row in rows
    ]
    report = import_annuaire(write(tmp_path / "annuaire.csv", header, renamed))

    mathaly.refresh_from_db()
    assert mathaly.name == "Ecole primaire publique"
    assert mathaly.printed_name == "Mathaly"
    assert mathaly.convention_label() == "MOISSAC - 82 - E.P.PU MATHALY - 0820189K"
    assert [(uai, fields) for uai, _, fields in report.updated] == [("0820189K", ["name"])]
