"""The admin's titles, buttons and action names in French as it is written.

Django's French catalogue builds them from a verbose name with neither elision nor gender:
"Ajout de école", "Affichage de émission en arrière-plan", "Ajouter convention",
"Supprimer les conventions sélectionnés", "Ajouter un objet École inscrite supplémentaire".
An admin says once whether its noun is feminine, and these read "Ajouter une école",
"Consulter l'émission en arrière-plan", "Supprimer les écoles sélectionnées".
"""

import dataclasses
import json

from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.utils.text import capfirst

# Nouns starting with a vowel (or a mute h) take "l'" rather than "le"/"la".
ELIDED = tuple("aàâäeéèêëiîïoôöuùûüh")


class Noun:
    def __init__(self, singular, plural, feminine):
        self.singular = str(singular)
        self.plural = str(plural)
        self.feminine = feminine

    @property
    def definite(self):
        if self.singular.lower().startswith(ELIDED):
            return f"l'{self.singular}"
        return f"{'la' if self.feminine else 'le'} {self.singular}"

    @property
    def indefinite(self):
        return f"{'une' if self.feminine else 'un'} {self.singular}"

    def agree(self, adjective_plural):
        """A masculine plural adjective ("sélectionnés") agreed with the plural noun."""
        return adjective_plural[:-1] + "es" if self.feminine else adjective_plural


def noun_of(admin):
    return Noun(admin.opts.verbose_name, admin.opts.verbose_name_plural, admin.feminine)


class FrenchInlineAdminFormSet(helpers.InlineAdminFormSet):
    def inline_formset_data(self):
        data = json.loads(super().inline_formset_data())
        if hasattr(self.opts, "feminine"):
            data["options"]["addText"] = capfirst(f"ajouter {noun_of(self.opts).indefinite}")
        return json.dumps(data)


class FrenchInlineMixin:
    feminine = False


class FrenchWordingMixin:
    feminine = False

    def changelist_view(self, request, extra_context=None):
        noun = noun_of(self)
        context = {
            "title": capfirst(noun.plural),
            "add_label": f"Ajouter {noun.indefinite}",
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        noun = noun_of(self)
        if add:
            context["title"] = f"Ajouter {noun.indefinite}"
        elif self.has_change_permission(request, obj):
            context["title"] = f"Modifier {noun.definite}"
        else:
            context["title"] = f"Consulter {noun.definite}"
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        # Only the generic "les %(verbose_name_plural)s sélectionnés" gets agreed; an admin
        # that names its own action (conventions: "les brouillons sélectionnés") keeps it.
        if "delete_selected" in actions and "%(verbose_name_plural)s" in str(
            actions["delete_selected"].description
        ):
            noun = noun_of(self)
            label = f"Supprimer les {noun.plural} {noun.agree('sélectionnés')}"
            actions["delete_selected"] = dataclasses.replace(
                actions["delete_selected"], description=label, plural_description=label
            )
        return actions

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_admin_formsets = super().get_inline_formsets(
            request, formsets, inline_instances, obj
        )
        for inline_admin_formset in inline_admin_formsets:
            # Same object, one method more: Django builds these itself, with no hook.
            inline_admin_formset.__class__ = FrenchInlineAdminFormSet
        return inline_admin_formsets
