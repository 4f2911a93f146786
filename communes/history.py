"""Field-by-field history (django-simple-history), attributed like the journal.

Models declare `history = AuditedHistory()`; bulk writes go through bulk_create_audited()
and bulk_update_audited() below: the ORM's bulk methods send no signal and would leave no
trace.
"""

from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from communes.journal import current_actor


def history_user(instance=None, request=None, **kwargs):
    actor = current_actor()
    return None if actor is None or isinstance(actor, str) else actor


def history_reason():
    # A command (or the system) has no user: its name says who wrote the change.
    actor = current_actor()
    if actor is None:
        return "système"
    return actor if isinstance(actor, str) else None


class AuditedHistory(HistoricalRecords):
    def __init__(self, **kwargs):
        kwargs.setdefault("get_user", history_user)
        super().__init__(**kwargs)

    def post_save(self, instance, created, using=None, **kwargs):
        # simple-history skips raw saves (loaddata): rows loaded from fixtures would have no
        # first version, and their first change would show who but not from what to what.
        # A row loaded again (updated in place) keeps its history as it is.
        if kwargs.get("raw", False) and created:
            kwargs["raw"] = False
        super().post_save(instance, created, using=using, **kwargs)

    def get_change_reason_for_object(self, instance, history_type, using):
        return super().get_change_reason_for_object(instance, history_type, using) or (
            history_reason()
        )


def bulk_create_audited(model, objs, *, batch_size=None):
    return bulk_create_with_history(
        objs,
        model,
        batch_size=batch_size,
        default_user=history_user(),
        default_change_reason=history_reason(),
    )


def bulk_update_audited(model, objs, fields, *, batch_size=None):
    return bulk_update_with_history(
        objs,
        model,
        fields,
        batch_size=batch_size,
        default_user=history_user(),
        default_change_reason=history_reason(),
    )
