from django.contrib import admin

from communes.admin_wording import FrenchWordingMixin
from communes.journal import JournalEntry


@admin.register(JournalEntry)
class JournalEntryAdmin(FrenchWordingMixin, admin.ModelAdmin):
    feminine = True
    """Read only: the journal is written by the workflows, never by hand."""

    list_display = ["seq", "at", "event", "actor", "object_repr"]
    list_filter = ["event"]
    search_fields = ["object_repr", "actor"]
    readonly_fields = [f.name for f in JournalEntry._meta.fields]
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
