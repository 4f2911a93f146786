"""The append-only journal of business events, chained by SHA-256.

Every row carries the hash of the previous row and the hash of its own content (canonical
JSON), so that altering, inserting or deleting a row in the database breaks the chain from
there on; `manage.py verify_journal` names the first broken row. Write through `record()`.

It lives in `communes`, the ground floor, so that every app (imports included) can log.
"""

import hashlib
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

GENESIS_HASH = "0" * 64
# Any fixed 64-bit number: the key of the PostgreSQL advisory lock taken by writers.
ADVISORY_LOCK_KEY = 7_240_014


class JournalEvent(models.TextChoices):
    CONVENTION_ISSUED = "convention_emise", "convention émise"
    CONVENTION_STATUS = "convention_statut", "changement de statut"
    CONVENTION_CANCELLED = "convention_annulee", "convention annulée"
    LINK_SENT = "lien_envoye", "lien privé envoyé"
    # Read receipts of the private link (written by the portal, see the timeline).
    PORTAL_OPENED = "lien_ouvert", "lien privé ouvert par la collectivité"
    PDF_DOWNLOADED = "pdf_telecharge", "PDF téléchargé par la collectivité"
    SIGNED_UPLOADED = "convention_signee_deposee", "convention signée déposée"
    TITRE_ISSUED = "titre_emis", "titre de perception émis"
    TITRE_PAID = "titre_paye", "titre de perception payé"
    TITRE_CANCELLED = "titre_annule", "titre de perception annulé"
    IMPORT_ANNUAIRE = "import_annuaire", "import de l'annuaire des écoles"
    IMPORT_COLLECTIVITES = "import_collectivites", "import des collectivités"
    # Staff logins (password, second factor, lock-out: the kind is in the data).
    STAFF_LOGIN = "connexion_personnel", "connexion du personnel"
    SCOPE_REFUSED = "hors_perimetre", "accès hors périmètre refusé"


class JournalImmutableError(Exception):
    pass


IMMUTABLE_MESSAGE = (
    "Le journal est en ajout seul : ses lignes ne peuvent être ni modifiées ni supprimées."
)


class JournalEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise JournalImmutableError(IMMUTABLE_MESSAGE)

    def delete(self):
        raise JournalImmutableError(IMMUTABLE_MESSAGE)

    def for_object(self, obj):
        return self.filter(object_type=object_type(obj), object_id=str(obj.pk))


class JournalEntry(models.Model):
    # Its own sequence rather than the id: a rolled back insert leaves a gap in a
    # PostgreSQL sequence, while the chain must be gapless to reveal a deleted row.
    seq = models.PositiveBigIntegerField("rang", unique=True, editable=False)
    at = models.DateTimeField("date", editable=False)
    event = models.CharField("événement", max_length=40, choices=JournalEvent, editable=False)
    # No foreign key: deleting a user must not touch (and so break) the journal.
    actor_id = models.PositiveIntegerField("identifiant de l'auteur", null=True, editable=False)
    actor = models.CharField("auteur", max_length=200, editable=False)
    object_type = models.CharField("type d'objet", max_length=60, blank=True, editable=False)
    object_id = models.CharField(
        "identifiant de l'objet", max_length=40, blank=True, editable=False
    )
    object_repr = models.CharField("objet", max_length=200, blank=True, editable=False)
    data = models.JSONField("détails", default=dict, blank=True, editable=False)
    previous_hash = models.CharField("empreinte précédente", max_length=64, editable=False)
    hash = models.CharField("empreinte SHA-256", max_length=64, editable=False)

    objects = JournalEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal des événements"
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="journal_object_idx")]

    def __str__(self):
        return f"n° {self.seq} – {self.get_event_display()}"

    def save(self, *args, **kwargs):
        # A last barrier, not business logic: nothing may rewrite a written row.
        if not self._state.adding:
            raise JournalImmutableError(IMMUTABLE_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise JournalImmutableError(IMMUTABLE_MESSAGE)

    def content(self):
        return {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(),
            "event": self.event,
            "actor_id": self.actor_id,
            "actor": self.actor,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "data": self.data,
            "previous_hash": self.previous_hash,
        }

    def compute_hash(self):
        return content_hash(self.content())


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(content):
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def object_type(obj):
    return obj._meta.label_lower


# Who acts -------------------------------------------------------------------------------

_actor = ContextVar("journal_actor", default=None)


@contextmanager
def acting_as(actor):
    """Attribute what runs inside to `actor`: a user, or a label such as
    "commande import_annuaire" (the journal and the history both read it)."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    """The user or label set by acting_as(), else the logged-in user of the request that
    simple-history's middleware keeps, else None (the system)."""
    actor = _actor.get()
    if actor is not None:
        return actor
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def actor_fields(actor):
    if actor is None:
        return None, "système"
    if isinstance(actor, str):
        return None, actor[:200]
    return actor.pk, actor.get_username()[:200]


# Writing --------------------------------------------------------------------------------


def _lock_chain():
    # Two writers reading the same last row would both chain onto it and fork the journal.
    # PostgreSQL: a transaction-level advisory lock serialises writers (it works on an
    # empty table too, unlike SELECT ... FOR UPDATE on the last row). SQLite allows one
    # writer at a time: the surrounding transaction is enough.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def _read_head():
    last = JournalEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    return last if last else (0, GENESIS_HASH)


class _HeadMark:
    """Registered with on_commit() by each write: while it is still in the connection's
    list, the transaction that wrote the head is open and neither it nor the savepoint of
    the write was rolled back (Django drops a rolled back savepoint's callbacks with it,
    and every callback at commit or rollback), so the lock is held and the head known."""

    def __call__(self):
        pass


def _known_head():
    """(seq, hash) of the chain's head as this transaction last wrote it, else None."""
    known = getattr(connection, "_journal_head", None)
    if known is None or not connection.in_atomic_block:
        return None
    head, mark = known
    # The mark is nearly always the last callback: look from the end.
    for _sids, func, _robust in reversed(connection.run_on_commit):
        if func is mark:
            return head
    return None


def record(event, actor=None, obj=None, **data):
    """Append one event to the journal; returns the entry.

    `actor` is a user, a label ("commande import_annuaire") or None for whoever is acting
    (see current_actor()). Runs in the caller's transaction, if any: an event whose change
    is rolled back is rolled back with it.
    """
    actor = actor if actor is not None else current_actor()
    actor_id, actor_label = actor_fields(actor)
    # Through JSON once, so that what is hashed is exactly what the database gives back.
    data = json.loads(json.dumps(data, default=str))
    # No savepoint: a failed insert fails the caller's transaction, as any failed write.
    # The lock and the read of the head are for the first event of a transaction only:
    # the lock holds until its end, and the head is then the row written last.
    with transaction.atomic(savepoint=False):
        head = _known_head()
        if head is None:
            _lock_chain()
            head = _read_head()
        entry = JournalEntry(
            seq=head[0] + 1,
            at=timezone.now(),
            event=JournalEvent(event),
            actor_id=actor_id,
            actor=actor_label,
            object_type=object_type(obj) if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_repr=str(obj)[:200] if obj is not None else "",
            data=data,
            previous_hash=head[1],
        )
        entry.hash = entry.compute_hash()
        entry.save(force_insert=True)
        mark = _HeadMark()
        transaction.on_commit(mark)
        connection._journal_head = ((entry.seq, entry.hash), mark)
    return entry


# Checking -------------------------------------------------------------------------------


@dataclass
class Break:
    seq: int
    reason: str

    def __str__(self):
        return f"ligne n° {self.seq} : {self.reason}"


def verify(chunk_size=2000, limit=20):
    """Walk the chain once, in order; returns (rows checked, breaks found, at most `limit`).

    Each row is judged against the row stored before it, so that one altered row is one
    break and the rows after it are still checked."""
    expected_seq, previous_hash, count, breaks = 1, GENESIS_HASH, 0, []
    for entry in JournalEntry.objects.order_by("seq").iterator(chunk_size=chunk_size):
        count += 1
        if entry.seq != expected_seq:
            breaks.append(
                Break(
                    expected_seq,
                    f"absente (la ligne suivante porte le n° {entry.seq}) : elle a été supprimée",
                )
            )
        elif entry.previous_hash != previous_hash:
            breaks.append(Break(entry.seq, "l'empreinte de la ligne précédente ne correspond pas"))
        if entry.compute_hash() != entry.hash:
            breaks.append(
                Break(entry.seq, "son contenu ne correspond plus à son empreinte : modifiée")
            )
        if len(breaks) >= limit:
            break
        previous_hash = entry.hash
        expected_seq = entry.seq + 1
    return count, breaks[:limit]


def export_lines(chunk_size=2000):
    """The journal as JSON lines, oldest first, each with its hashes."""
    for entry in JournalEntry.objects.order_by("seq").iterator(chunk_size=chunk_size):
        yield canonical_json({**entry.content(), "hash": entry.hash})
