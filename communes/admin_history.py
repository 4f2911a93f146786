"""The admin's "Historique", in French: each change field by field, old value → new."""

import datetime

from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper


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
    def history_view_title(self, request, obj):
        return f"Historique : {obj}"

    def get_historical_record_context_helper(self, request, historical_record):
        return FrenchRecordHelper(self.model, historical_record)
