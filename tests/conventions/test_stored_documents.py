import hashlib
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from conventions.enums import ConventionStatus
from conventions.issuing import issue
from conventions.models import Convention
from tests.factories import ConventionFactory, complete_convention

pytestmark = pytest.mark.django_db


def stored(private_storage):
    root = Path(private_storage.location)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_no_file_takes_its_final_name_before_the_commit(private_storage, monkeypatch):
    convention = complete_convention()
    final = f"conventions/{convention.reference}.pdf"
    seen = []
    transition_to = Convention.transition_to

    def die_before_commit(self, status, **kwargs):
        seen.append(private_storage.exists(final))
        transition_to(self, status, **kwargs)
        # The process dies here, before the commit: no clean-up runs.
        raise SystemExit(137)

    monkeypatch.setattr(Convention, "transition_to", die_before_commit)
    monkeypatch.setattr(private_storage, "delete", lambda name: None)
    with pytest.raises(SystemExit):
        issue(convention)
    assert seen == [False]
    assert stored(private_storage) == [f"{final}.part"]


def test_a_rerun_after_a_crash_leaves_one_file_under_its_final_name(private_storage):
    convention = complete_convention()
    final = f"conventions/{convention.reference}.pdf"
    # What a process killed between writing and committing left behind, with this code (the
    # pending file) or the former one (the final name itself).
    private_storage.save(f"{final}.part", ContentFile(b"%PDF- interrompu"))
    private_storage.save(final, ContentFile(b"%PDF- orphelin"))

    issued = issue(convention)

    assert issued.pdf.name == final
    assert stored(private_storage) == [final]
    with issued.pdf.open("rb") as file:
        assert hashlib.sha256(file.read()).hexdigest() == issued.pdf_sha256
    call_command("verify_documents")


def test_verify_documents_lists_stray_missing_and_altered_files(private_storage, capsys):
    kept, lost, altered = (issue(complete_convention()) for _ in range(3))
    call_command("verify_documents")
    assert "3 fichiers examinés : 0 sans convention, 0 manquant, 0 modifié." in (
        capsys.readouterr().out
    )

    stray = private_storage.save("conventions/ENT-ancien-01_UqW2OkI.pdf", ContentFile(b"x"))
    private_storage.delete(lost.pdf.name)
    Path(private_storage.path(altered.pdf.name)).write_bytes(b"%PDF- retouche")

    with pytest.raises(CommandError, match="3 anomalies dans les documents"):
        call_command("verify_documents")
    out, err = capsys.readouterr()
    assert f"Fichier qu'aucune convention ne désigne : {stray}" in err
    assert f"Fichier manquant — {lost.reference} (PDF émis) : {lost.pdf.name}" in err
    assert f"Empreinte SHA-256 différente — {altered.reference} : {altered.pdf.name}" in err
    assert kept.reference not in err
    assert "3 fichiers examinés : 1 sans convention, 1 manquant, 1 modifié." in out


@pytest.mark.parametrize("strays, beyond", [(97, "1 autre anomalie"), (98, "2 autres anomalies")])
def test_verify_documents_counts_in_french(private_storage, capsys, strays, beyond):
    # Rows that name files (data, not issuing): two missing, two altered since.
    for name in ["a", "b", "c", "d"]:
        ConventionFactory(pdf=f"conventions/{name}.pdf", pdf_sha256="0" * 64)
    for name in ["c", "d"]:
        private_storage.save(f"conventions/{name}.pdf", ContentFile(b"%PDF- retouche"))
    for number in range(strays):
        private_storage.save(f"conventions/ancien-{number:03d}.pdf", ContentFile(b"x"))

    with pytest.raises(CommandError, match=f"^{strays + 4} anomalies dans les documents"):
        call_command("verify_documents")

    out, err = capsys.readouterr()
    assert (
        f"{strays + 2} fichiers examinés : {strays} sans convention, 2 manquants, 2 modifiés."
        in out
    )
    assert err.endswith(f"\n… et {beyond}.\n")


def test_an_issue_committed_but_not_renamed_is_finished_by_repair(private_storage, capsys):
    convention = issue(complete_convention())
    final = convention.pdf.name
    # The process died between the commit and the rename.
    Path(private_storage.path(final)).rename(private_storage.path(f"{final}.part"))

    with pytest.raises(CommandError, match=r"^1 anomalie dans les documents"):
        call_command("verify_documents")
    assert "Émission interrompue avant le renommage" in capsys.readouterr().err

    call_command("verify_documents", "--repair")
    assert f"Émission terminée : {final}" in capsys.readouterr().out
    assert stored(private_storage) == [final]
    assert Convention.objects.get(pk=convention.pk).status == ConventionStatus.EMISE
    call_command("verify_documents")
    assert "1 fichier examiné : 0 sans convention, 0 manquant, 0 modifié." in (
        capsys.readouterr().out
    )
