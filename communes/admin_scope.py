"""Every admin of a row that belongs to an académie shows and acts on the user's académies
only (communes/scope.py). One mixin for every door: the lists and their actions, change,
delete and history pages (get_queryset, get_object), the admin's own pages under
/<pk>/... (scope_view, applied by conventions.admin.common.admin_paths), the autocompletes
(Django's view asks the target model's get_queryset) and the choices of every foreign key
in forms and inlines. An object of another académie is a 404 through each of them."""

import logging
from functools import wraps

from django.contrib.admin import RelatedFieldListFilter, helpers
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import ValidationError
from django.http import Http404

from communes import journal
from communes.scope import in_scope, scope_for

logger = logging.getLogger("entconv.scope")


def refuse(request, what):
    """Another académie's object asked for: a 404, as for an object that does not exist.
    Logged, so that a bypass attempt leaves a trace."""
    logger.warning(
        "Hors périmètre : %s demandé par %s (%s %s)",
        what,
        getattr(request.user, "username", "?"),
        request.method,
        request.path,
    )
    # Journalled once the response is out (ScopeRefusalJournalMiddleware): raised inside the
    # admin's transaction, an entry written here would be rolled back with it.
    request.scope_refused = str(what)[:200]
    raise Http404("Aucun objet ne correspond à la requête.")


class ScopeRefusalJournalMiddleware:
    """Writes the journal entry of a refused scope bypass, outside any transaction."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        what = getattr(request, "scope_refused", None)
        if what is not None:
            journal.record(
                journal.JournalEvent.SCOPE_REFUSED,
                actor=request.user if request.user.is_authenticated else None,
                what=what,
                method=request.method,
                path=request.path[:300],
            )
        return response


def related_scope(admin_site, model):
    """How the registered admin of `model` scopes its rows, or None if it does not."""
    try:
        model_admin = admin_site.get_model_admin(model)
    except NotRegistered:
        return None
    if getattr(model_admin, "scope_path", None) is None:
        return None
    return {
        "path": model_admin.scope_path,
        "shared": model_admin.scope_shared,
        "many": model_admin.scope_many,
    }


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """A foreign key's filter offering an agent the rows of his scope only: a Toulouse agent
    is not offered Montpellier's académie nor its départements."""

    def field_choices(self, field, request, model_admin):
        model = field.remote_field.model
        scope = related_scope(model_admin.admin_site, model)
        if scope is None or scope_for(request.user) is None:
            return super().field_choices(field, request, model_admin)
        queryset = in_scope(model._default_manager.all(), request.user, **scope)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class ScopedAdminMixin:
    # The lookup from the admin's model to its Academie; None: the rows are shared
    # (school years), only the foreign keys of their forms are scoped.
    scope_path = None
    # Rows without an académie are common to both (a template for every académie): seen by
    # every agent, changed or deleted by region agents only.
    scope_shared = False
    # The path crosses a many-to-many (a collectivité's communes).
    scope_many = False

    def scope_queryset(self, request, queryset):
        return in_scope(
            queryset,
            request.user,
            self.scope_path,
            shared=self.scope_shared,
            many=self.scope_many,
        )

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if scope_for(request.user) is None:
            return filters
        return [self.scoped_list_filter(spec) for spec in filters]

    def scoped_list_filter(self, spec):
        if not isinstance(spec, str):
            return spec
        field = get_fields_from_path(self.model, spec)[-1]
        if field.is_relation and related_scope(self.admin_site, field.remote_field.model):
            return (spec, ScopedRelatedFieldListFilter)
        return spec

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and scope_for(request.user) is not None:
            # Django redirects to the index for a missing object; for a scoped agent the
            # answer must not tell "elsewhere" from "nowhere".
            refuse(request, f"{self.opts.verbose_name} {object_id}")
        return obj

    def is_in_scope(self, request, pk):
        if self.scope_path is None or scope_for(request.user) is None:
            return True
        try:
            return self.scope_queryset(request, self.model._default_manager.filter(pk=pk)).exists()
        except (ValueError, ValidationError):
            return False

    def scope_view(self, view):
        """Wraps an admin page under <pk>/: another académie's row is a 404 before the view
        runs, whatever the view then reads."""

        @wraps(view)
        def scoped_view(request, *args, **kwargs):
            pk = kwargs.get("pk")
            if pk is not None and not self.is_in_scope(request, pk):
                refuse(request, f"{self.opts.verbose_name} {pk}")
            return view(request, *args, **kwargs)

        return scoped_view

    def changelist_view(self, request, extra_context=None):
        # Django runs an action on the selected rows found in get_queryset(), silently
        # dropping the others: a crafted POST naming another académie's rows is refused.
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if request.method == "POST" and selected and scope_for(request.user) is not None:
            wanted = set(selected)
            try:
                found = self.scope_queryset(
                    request, self.model._default_manager.filter(pk__in=wanted)
                ).count()
            except (ValueError, ValidationError):
                found = -1
            if found != len(wanted):
                refuse(request, f"{self.opts.verbose_name_plural} {sorted(wanted)[:20]}")
        return super().changelist_view(request, extra_context)

    # Rows common to both académies -------------------------------------------------------

    def is_shared_row(self, request, obj):
        return (
            obj is not None
            and self.scope_shared
            and scope_for(request.user) is not None
            and getattr(obj, f"{self.scope_path}_id") is None
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self.is_shared_row(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self.is_shared_row(request, obj)

    # National imports (annuaire, collectivités) touch both académies: region agents only.
    def has_import_permission(self, request, *args, **kwargs):
        parent = getattr(super(), "has_import_permission", None)
        return (
            scope_for(request.user) is None
            and parent is not None
            and parent(request, *args, **kwargs)
        )

    # Choices in forms and inlines ----------------------------------------------------------

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        formfield = self.scope_formfield(request, db_field, formfield)
        if (
            formfield is not None
            and self.scope_shared
            and db_field.name == self.scope_path
            and scope_for(request.user) is not None
        ):
            # A scoped agent cannot write a row for every académie.
            formfield.required = True
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self.scope_formfield(request, db_field, formfield)

    def save_related(self, request, form, formsets, change):
        if change and scope_for(request.user) is not None:
            self.keep_unseen_relations(form)
        super().save_related(request, form, formsets, change)

    def keep_unseen_relations(self, form):
        # A many-to-many field shows an agent his académie's rows only (a collectivité's
        # communes): what he saves replaces what he saw, the other académie's rows stay.
        for field in form.instance._meta.many_to_many:
            formfield = form.fields.get(field.name)
            if formfield is None or field.name not in form.cleaned_data:
                continue
            unseen = getattr(form.instance, field.name).exclude(
                pk__in=formfield.queryset.values("pk")
            )
            form.cleaned_data[field.name] = [*form.cleaned_data[field.name], *unseen]

    def scope_formfield(self, request, db_field, formfield):
        if formfield is None or request is None or scope_for(request.user) is None:
            return formfield
        scope = related_scope(self.admin_site, db_field.remote_field.model)
        if scope is not None:
            formfield.queryset = in_scope(formfield.queryset, request.user, **scope)
        return formfield
