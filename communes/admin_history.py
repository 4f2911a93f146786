"""The admin's "Historique", in French: each change field by field, old value → new."""

import datetime

from django.contrib.admin.utils import unquote
from django.db import models
from django.http import Http404
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange, ModelDelta
from simple_history.template_utils import HistoricalRecordContextHelper

from communes.scope import scope_for


def french_value(field, value):
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if getattr(field, "flatchoices", None) and not isinstance(value, list):
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return value


class FrenchRecordHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        return french_value(self.model._meta.get_field(change.field), value)


class HistoryAdmin(SimpleHistoryAdmin):
    # simple-history reads a row's history straight from the model, and falls back on the
    # history of a row it cannot find: both would show an agent another académie's rows.
    def history_view(self, request, object_id, extra_context=None):
        self.check_history_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.check_history_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def check_history_scope(self, request, object_id):
        # get_object() is scoped (communes/admin_scope.py): another académie's row is a 404
        # there. A deleted row's history stays open to those who see every académie only.
        missing = self.get_object(request, unquote(object_id)) is None
        if missing and scope_for(request.user) is not None:
            raise Http404("Aucun objet ne correspond à la requête.")

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # simple-history then calls select_related() with the model's tracked foreign keys:
        # with none (a collectivité), that is select_related() with no arguments, deprecated
        # in Django 6.1 (and an error where warnings are). The same query, spelt out.
        qs = history_manager.filter(**{pk_name: object_id}).select_related("history_user")
        foreign_keys = [
            field.name
            for field in history_manager.model.tracked_fields
            if isinstance(field, models.ForeignKey)
        ]
        return qs.select_related(*foreign_keys) if foreign_keys else qs

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # simple-history compares the editable fields only (model_to_dict): a status, a
        # date or a frozen amount written by a workflow (editable=False) left the
        # "modifications" cell empty. Those are compared here too.
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(current, foreign_keys_are_objs=foreign_keys_are_objs)
                written = [
                    ModelChange(f.name, getattr(current, f.attname), getattr(previous, f.attname))
                    for f in current.tracked_fields
                    if not f.editable
                    and not f.primary_key
                    and not f.is_relation
                    and getattr(current, f.attname) != getattr(previous, f.attname)
                ]
                delta = ModelDelta(
                    [*delta.changes, *written],
                    [*delta.changed_fields, *(change.field for change in written)],
                    delta.old_record,
                    delta.new_record,
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def history_view_title(self, request, obj):
        return f"Historique : {obj}"

    def get_historical_record_context_helper(self, request, historical_record):
        return FrenchRecordHelper(self.model, historical_record)
