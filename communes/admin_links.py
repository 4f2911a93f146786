from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import FieldDoesNotExist


class ReadonlyLinksFollowPermissionsMixin:
    """A read-only foreign key shown as plain text when the user may not view its target.

    Django's read-only display links every foreign key to its change page, whatever the
    user's permissions: a read-only account met links that each answered 403.
    """

    def get_readonly_fields(self, request, obj=None):
        return [self._shown(request, name) for name in super().get_readonly_fields(request, obj)]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        readonly = set(super().get_readonly_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            readonly = None  # every field is read-only

        def shown(name):
            if isinstance(name, (list, tuple)):
                return type(name)(shown(part) for part in name)
            if readonly is None or name in readonly:
                return self._shown(request, name)
            return name

        return [
            (title, {**options, "fields": [shown(name) for name in options["fields"]]})
            for title, options in fieldsets
        ]

    def _shown(self, request, name):
        if not isinstance(name, str):
            return name
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:  # a method of the admin or of the model
            return name
        if not (field.many_to_one or field.one_to_one):
            return name
        target = self.admin_site._registry.get(field.related_model)
        if target is not None and target.has_view_permission(request):
            return name
        return self._plain(field)

    def _plain(self, field):
        # One callable per field for the admin's lifetime: the form, the fieldsets and the
        # read-only fields must name the same object.
        plain = self.__dict__.setdefault("_plain_fields", {})
        if field.name not in plain:

            @admin.display(description=field.verbose_name)
            def display(obj):
                value = getattr(obj, field.name)
                return str(value) if value is not None else None

            display.__name__ = field.name  # the row's CSS class, as for the field itself
            plain[field.name] = display
        return plain[field.name]


class NoRelatedDeletionMixin:
    """No "delete" icon next to a foreign key's select: from a convention's form, one click
    deleted the school year or the académie it points to, with everything that cascades.
    Reference rows are deleted from their own lists."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
            formfield.widget.can_delete_related = False
        return formfield
