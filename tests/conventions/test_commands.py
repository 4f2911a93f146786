import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from conventions.enums import ConventionStatus
from conventions.models import Convention
from tests.factories import ConventionFactory, complete_convention
from tests.pdf import pdf_text


def test_render_convention_writes_a_draft_then_the_issued_file(db, tmp_path, capsys):
    convention = complete_convention()
    output = tmp_path / "convention.pdf"
    args = ["--year", "2026-2027", "--siret", convention.collectivite.siret, "--output", output]

    call_command("render_convention", *args)
    assert "PROJET" in pdf_text(output.read_bytes())

    call_command("issue_conventions", "--year", "2026-2027")
    call_command("render_convention", *args)
    convention.refresh_from_db()
    with convention.pdf.open("rb") as stored:
        assert output.read_bytes() == stored.read()


def test_render_convention_says_what_is_wrong(db, tmp_path):
    with pytest.raises(CommandError, match="Aucune convention en cours pour le SIRET 123"):
        call_command(
            "render_convention",
            "--year",
            "2026-2027",
            "--siret",
            "123",
            "--output",
            tmp_path / "x",
        )


def test_issue_conventions_reports_a_failure_and_goes_on_then_skips_what_is_done(db, capsys):
    first, second = complete_convention(), complete_convention()
    broken = ConventionFactory(document_date=None)  # no school, no date

    with pytest.raises(CommandError, match=r"^1 convention non émise : voir ci-dessus"):
        call_command("issue_conventions", "--year", "2026-2027", "--academie", "16")

    out, err = capsys.readouterr()
    assert "2 conventions émises sur 3." in out
    assert f"Non émise — {broken.reference} : Impossible de produire" in err
    assert "aucune école inscrite" in err
    statuses = dict(Convention.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == ConventionStatus.EMISE
    assert statuses[broken.pk] == ConventionStatus.BROUILLON

    sha = Convention.objects.get(pk=first.pk).pdf_sha256
    broken.delete()
    call_command("issue_conventions", "--year", "2026-2027")
    assert "Aucune convention en brouillon pour 2026-2027" in capsys.readouterr().out
    assert Convention.objects.get(pk=first.pk).pdf_sha256 == sha


@pytest.mark.parametrize(
    "broken, issued",
    [(1, "0 convention émise sur 1."), (2, "0 convention émise sur 2.")],
)
def test_issue_conventions_counts_in_french(db, capsys, broken, issued):
    ConventionFactory.create_batch(broken, document_date=None)  # no school, no date

    with pytest.raises(CommandError) as error:
        call_command("issue_conventions", "--year", "2026-2027")

    assert issued in capsys.readouterr().out
    not_issued = "1 convention non émise" if broken == 1 else "2 conventions non émises"
    assert str(error.value) == f"{not_issued} : voir ci-dessus."


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="worker processes need a shared database server"
)
def test_issue_conventions_in_parallel_workers(transactional_db, capsys):
    conventions = [complete_convention() for _ in range(2)]

    call_command("issue_conventions", "--year", "2026-2027", "--workers", "2")

    assert "2 conventions émises sur 2." in capsys.readouterr().out
    for convention in conventions:
        convention.refresh_from_db()
        assert convention.status == ConventionStatus.EMISE
        assert len(convention.pdf_sha256) == 64
