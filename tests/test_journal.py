import json
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from communes import journal
from communes.journal import JournalEntry, JournalEvent, JournalImmutableError
from conventions import billing
from conventions.enums import ConventionStatus
from conventions.issuing import issue
from tests.factories import complete_convention
from tests.roles import make_user
from tests.titres_helpers import sign


def write_events(count):
    for number in range(count):
        journal.record(JournalEvent.CONVENTION_STATUS, "test", number=number)


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_each_entry_chains_onto_the_previous_one(db):
    first = journal.record(JournalEvent.IMPORT_ANNUAIRE, "commande import_annuaire", created=3)
    second = journal.record(JournalEvent.IMPORT_COLLECTIVITES, None, created=1)

    assert first.previous_hash == journal.GENESIS_HASH
    assert second.previous_hash == first.hash
    assert (first.seq, second.seq) == (1, 2)
    assert second.actor == "système"
    assert first.actor == "commande import_annuaire"
    assert journal.verify() == (2, [])


def test_a_user_is_named_by_username_and_id(db):
    user = make_user("gestion")

    entry = journal.record(JournalEvent.LINK_SENT, user)

    assert (entry.actor, entry.actor_id) == ("agent-gestion", user.pk)


def test_the_orm_refuses_to_change_or_delete_an_entry(db):
    entry = journal.record(JournalEvent.CONVENTION_STATUS, "test")

    entry.actor = "quelqu'un d'autre"
    with pytest.raises(JournalImmutableError):
        entry.save()
    with pytest.raises(JournalImmutableError):
        entry.delete()
    with pytest.raises(JournalImmutableError):
        JournalEntry.objects.filter(pk=entry.pk).update(actor="x")
    with pytest.raises(JournalImmutableError):
        JournalEntry.objects.all().delete()
    assert JournalEntry.objects.get().actor == "test"


def test_verify_journal_detects_an_altered_row_and_a_deleted_row(db):
    write_events(10)
    call_command("verify_journal")
    table = JournalEntry._meta.db_table
    raw(f"UPDATE {table} SET actor = %s WHERE seq = 3", ["faussaire"])
    raw(f"DELETE FROM {table} WHERE seq = 7")

    with pytest.raises(CommandError) as error:
        call_command("verify_journal")

    message = str(error.value)
    assert "première ligne rompue, ligne n° 3" in message
    assert "ligne n° 3 : son contenu ne correspond plus à son empreinte" in message
    assert "ligne n° 7 : absente (la ligne suivante porte le n° 8)" in message
    assert message.endswith("\n9 lignes lues.")


def test_verify_journal_of_one_altered_line(db):
    write_events(1)
    raw(f"UPDATE {JournalEntry._meta.db_table} SET actor = %s", ["faussaire"])

    with pytest.raises(CommandError) as error:
        call_command("verify_journal")

    assert str(error.value).endswith("\n1 ligne lue.")


def test_verify_journal_detects_a_rewritten_chain_link(db):
    write_events(3)
    raw(f"UPDATE {JournalEntry._meta.db_table} SET data = %s WHERE seq = 2", ['{"number": 9}'])

    _, breaks = journal.verify()

    assert [found.seq for found in breaks] == [2]


@pytest.mark.parametrize("count, checked", [(1, "1 ligne vérifiée"), (3, "3 lignes vérifiées")])
def test_verify_journal_on_an_intact_journal(db, capsys, count, checked):
    write_events(count)

    call_command("verify_journal")

    assert f"Journal intègre : {checked}, chaîne complète." in capsys.readouterr().out


def test_export_journal_writes_json_lines_with_their_hashes(db, tmp_path, capsys):
    write_events(3)
    output = tmp_path / "journal.jsonl"

    call_command("export_journal", output=str(output))

    assert f"3 événements exportés dans {output}." in capsys.readouterr().err

    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3]
    assert lines[1]["previous_hash"] == lines[0]["hash"]
    entry = JournalEntry.objects.get(seq=3)
    assert (
        lines[2]["hash"]
        == entry.hash
        == journal.content_hash({k: v for k, v in lines[2].items() if k != "hash"})
    )
    with pytest.raises(CommandError, match="existe déjà"):
        call_command("export_journal", output=str(output))


def test_export_journal_of_one_event(db, tmp_path, capsys):
    write_events(1)
    output = tmp_path / "journal.jsonl"

    call_command("export_journal", output=str(output))

    assert f"1 événement exporté dans {output}." in capsys.readouterr().err


def test_issuing_and_the_titre_life_are_journaled(db, private_storage):
    convention = issue(complete_convention())
    with journal.acting_as(make_user("comptabilite")):
        convention.transition_to(ConventionStatus.SIGNEE_COLLECTIVITE)
        convention.transition_to(ConventionStatus.SIGNEE_ACADEMIE)
        titre = billing.issue_titre(convention)
        billing.cancel(titre, reason="erreur de débiteur")

    events = list(JournalEntry.objects.order_by("seq").values_list("event", "actor"))
    assert events == [
        (JournalEvent.CONVENTION_STATUS, "système"),
        (JournalEvent.CONVENTION_ISSUED, "système"),
        (JournalEvent.CONVENTION_STATUS, "agent-comptabilite"),
        (JournalEvent.CONVENTION_STATUS, "agent-comptabilite"),
        (JournalEvent.TITRE_ISSUED, "agent-comptabilite"),
        (JournalEvent.CONVENTION_STATUS, "agent-comptabilite"),
        (JournalEvent.TITRE_CANCELLED, "agent-comptabilite"),
    ]
    issued = JournalEntry.objects.get(event=JournalEvent.CONVENTION_ISSUED)
    assert issued.data["sha256"] == convention.pdf_sha256
    assert journal.verify()[1] == []


def test_a_cancellation_is_journaled_with_its_reason(db):
    convention = complete_convention()
    sign(convention)

    convention.transition_to(ConventionStatus.ANNULEE, reason="doublon")

    entry = JournalEntry.objects.get(event=JournalEvent.CONVENTION_CANCELLED)
    assert entry.data["reason"] == "doublon"
    assert entry.object_id == str(convention.pk)


def test_a_rolled_back_change_leaves_no_entry(db):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        journal.record(JournalEvent.CONVENTION_STATUS, "test")
        raise RuntimeError

    assert JournalEntry.objects.count() == 0
    assert journal.record(JournalEvent.CONVENTION_STATUS, "test").seq == 1


def run_at_once(target, count):
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises every write transaction: only PostgreSQL can fork the chain",
)
def test_concurrent_writers_do_not_fork_the_chain():
    def writer():
        try:
            write_events(25)
        finally:
            connection.close()

    run_at_once(writer, 4)

    assert journal.verify() == (100, [])


def test_a_transaction_reads_the_head_of_the_chain_once(db):
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        write_events(50)

    sql = [query["sql"].upper() for query in queries.captured_queries]
    # 50 inserts, one read of the chain's head (and on PostgreSQL one lock), no savepoint
    # but the block's own (the test runs in a transaction).
    assert sum(s.startswith("INSERT") for s in sql) == 50
    assert sum("ORDER BY" in s and "SEQ" in s for s in sql) == 1
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1
    assert sum("PG_ADVISORY_XACT_LOCK" in s for s in sql) == (
        1 if connection.vendor == "postgresql" else 0
    )
    assert journal.verify() == (50, [])


def test_an_entry_rolled_back_with_its_savepoint_leaves_the_chain_whole(db):
    from django.db import transaction

    with transaction.atomic():
        journal.record(JournalEvent.CONVENTION_STATUS, "avant")
        with pytest.raises(RuntimeError), transaction.atomic():
            journal.record(JournalEvent.CONVENTION_STATUS, "annulé")
            raise RuntimeError
        journal.record(JournalEvent.CONVENTION_STATUS, "après")
    with pytest.raises(RuntimeError), transaction.atomic():
        journal.record(JournalEvent.CONVENTION_STATUS, "annulé aussi")
        raise RuntimeError
    journal.record(JournalEvent.CONVENTION_STATUS, "seul")

    entries = JournalEntry.objects.order_by("seq")
    assert [(e.seq, e.actor) for e in entries] == [(1, "avant"), (2, "après"), (3, "seul")]
    assert journal.verify() == (3, [])


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises every write transaction: only PostgreSQL can fork the chain",
)
def test_concurrent_transactions_of_many_events_do_not_fork_the_chain():
    from django.db import transaction

    def writer():
        try:
            for _ in range(5):
                with transaction.atomic():
                    write_events(10)
        finally:
            connection.close()

    run_at_once(writer, 4)

    assert journal.verify() == (200, [])
