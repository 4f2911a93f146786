"""Which académies a staff member works on, and the rows that follows for every model.

An agent of Toulouse sees and acts only on Toulouse's conventions and what they rest on;
a "region" agent (and a superuser) on both académies. Every admin asks through
ScopedAdminMixin (communes/admin_scope.py); other pages (the dashboard…) ask scope_for().
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q

REGION = "region"


def scope_for(user):
    """None when the user may see every académie (superusers, region agents), else the
    frozenset of the académie ids he may see: empty for a staff member without a scope."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return None
    try:
        scope = user.agent_scope  # cached on the user for the rest of the request
    except ObjectDoesNotExist:
        return frozenset()
    return None if scope.academie_id is None else frozenset({scope.academie_id})


def in_scope(queryset, user, path, *, shared=False, many=False):
    """The rows of `queryset` the user may see, `path` leading from its model to an
    Academie ("academie", "commune__departement__academie", "pk" for Academie itself).

    shared: a row without an académie (a template for every académie) is seen by all.
    many: the path crosses a many-to-many (a collectivité's communes); filtered through a
    subquery so that rows are not repeated.
    """
    academies = scope_for(user)
    if academies is None or path is None:
        return queryset
    condition = Q(**{f"{path}__in": academies})
    if shared:
        condition |= Q(**{f"{path}__isnull": True})
    if many:
        return queryset.filter(
            pk__in=queryset.model._default_manager.filter(condition).values("pk")
        )
    return queryset.filter(condition)


class ScopedModelBackend(ModelBackend):
    """Django's backend, loading the agent's scope with the user: every admin page asks."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("agent_scope").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
